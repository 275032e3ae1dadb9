//! Seeds of a sweep: the `--seeds` list, and each grid point summed up over its seeds
//! as mean, sample standard deviation and worst seed.

use serde::Serialize;

use super::SweepRow;

/// The most seeds one `--seeds` list may name (each one trains every grid point).
pub const MAX_SEEDS: usize = 10_000;

/// A `--seeds` list: comma-separated seeds and inclusive ranges, `1-5`, `1,2,7`,
/// `1-3,10`. Seeds are `u64`; the list keeps its order; a seed named twice is refused
/// (it would count twice in the mean), as are an empty item, a range that runs
/// backwards and more than [`MAX_SEEDS`] seeds. A refusal starts with `name` (the
/// caller's: `--seeds` on the command line, `seeds` in Python).
pub fn parse_seeds(spec: &str, name: &str) -> Result<Vec<u64>, String> {
    let bad = |item: &str, why: &str| {
        format!("{name}: `{item}` {why}; give seeds and ranges such as 1-5 or 1,2,7")
    };
    let num = |item: &str, s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            bad(
                item,
                "is not a seed (a whole number 0..=18446744073709551615)",
            )
        })
    };
    let mut seeds: Vec<u64> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for item in spec.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(bad(item, "is empty"));
        }
        let (lo, hi) = match item.split_once('-') {
            Some((a, b)) => (num(item, a)?, num(item, b)?),
            None => {
                let n = num(item, item)?;
                (n, n)
            }
        };
        if lo > hi {
            return Err(bad(item, "runs backwards"));
        }
        if hi - lo >= (MAX_SEEDS - seeds.len().min(MAX_SEEDS)) as u64 {
            return Err(format!("{name}: more than {MAX_SEEDS} seeds"));
        }
        for s in lo..=hi {
            if !seen.insert(s) {
                return Err(bad(item, &format!("names seed {s} again")));
            }
            seeds.push(s);
        }
    }
    Ok(seeds)
}

/// One seed's result.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeedValue {
    /// The seed.
    pub seed: u64,
    /// Its value of the point's metric ([`SeedSummary::metric`]).
    pub value: f64,
}

/// One grid point (configuration, engine, weight and trace width) over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeedSummary {
    /// Configuration (task) name.
    pub config: String,
    /// Engine.
    pub engine: String,
    /// Weight bits.
    pub weight_bits: u32,
    /// Trace bits.
    pub trace_bits: u32,
    /// `test_accuracy` (higher is better), `nmse` (regression, lower is better) or
    /// `success_rate` (reward learning: the rewarded fraction of the last learning
    /// episodes, higher is better).
    pub metric: &'static str,
    /// Mean over the seeds.
    pub mean: f64,
    /// Sample standard deviation (divisor n - 1; 0 for one seed).
    pub sd: f64,
    /// The seed with the worst value (lowest accuracy, highest NMSE; the first such
    /// seed on a tie).
    pub worst_seed: u64,
    /// Its value.
    pub worst: f64,
    /// Every seed's value, in the order the seeds were given.
    pub per_seed: Vec<SeedValue>,
}

/// The rows summed up per grid point over their seeds, points in the order of the
/// rows. Architectures do not change what a point learns (its rows per architecture
/// share one training), so each seed counts once.
pub fn seed_summaries(rows: &[SweepRow]) -> Vec<SeedSummary> {
    let mut out: Vec<SeedSummary> = Vec::new();
    for r in rows {
        let (metric, value) = match (r.nmse, r.success_rate) {
            (Some(n), _) => ("nmse", n),
            (None, Some(s)) => ("success_rate", s),
            (None, None) => ("test_accuracy", r.test_accuracy),
        };
        let same = |s: &SeedSummary| {
            s.config == r.config
                && s.engine == r.engine
                && s.weight_bits == r.weight_bits
                && s.trace_bits == r.trace_bits
                && s.metric == metric
        };
        let v = SeedValue {
            seed: r.seed,
            value,
        };
        match out.iter_mut().find(|s| same(s)) {
            Some(s) if s.per_seed.iter().any(|p| p.seed == r.seed) => {}
            Some(s) => s.per_seed.push(v),
            None => out.push(SeedSummary {
                config: r.config.clone(),
                engine: r.engine.clone(),
                weight_bits: r.weight_bits,
                trace_bits: r.trace_bits,
                metric,
                mean: 0.0,
                sd: 0.0,
                worst_seed: r.seed,
                worst: value,
                per_seed: vec![v],
            }),
        }
    }
    for s in &mut out {
        let values: Vec<f64> = s.per_seed.iter().map(|p| p.value).collect();
        (s.mean, s.sd) = crate::experiment::arms::mean_std(&values);
        let worse = |a: f64, b: f64| match s.metric {
            "nmse" => a > b,
            _ => a < b,
        };
        let worst = s
            .per_seed
            .iter()
            .copied()
            .reduce(|w, p| if worse(p.value, w.value) { p } else { w });
        if let Some(w) = worst {
            (s.worst_seed, s.worst) = (w.seed, w.value);
        }
    }
    out
}

/// A value of `metric` as the tables print it: accuracy in percent with one decimal,
/// NMSE with four.
fn show(metric: &str, v: f64) -> String {
    match metric {
        "nmse" => format!("{v:.4}"),
        _ => format!("{:.1}%", 100.0 * v),
    }
}

/// The summaries as a Markdown table: per point the seeds, mean ± sd, the worst seed
/// and every seed's value.
pub fn seed_markdown(summaries: &[SeedSummary]) -> String {
    let mut s = String::from(
        "| task | engine | weight bits | trace bits | seeds | metric | mean ± sd | worst seed | per seed |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for x in summaries {
        let (mean, sd) = match x.metric {
            "nmse" => (format!("{:.4}", x.mean), format!("{:.4}", x.sd)),
            _ => (
                format!("{:.1}", 100.0 * x.mean),
                format!("{:.1}%", 100.0 * x.sd),
            ),
        };
        let per: Vec<String> = x
            .per_seed
            .iter()
            .map(|p| format!("{}: {}", p.seed, show(x.metric, p.value)))
            .collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {mean} ± {sd} | {}: {} | {} |\n",
            x.config,
            x.engine,
            x.weight_bits,
            x.trace_bits,
            x.per_seed.len(),
            match x.metric {
                "nmse" => "NMSE",
                "success_rate" => "success (last episodes)",
                _ => "test accuracy",
            },
            x.worst_seed,
            show(x.metric, x.worst),
            per.join(", "),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_lists_and_ranges() {
        assert_eq!(parse_seeds("1-5", "--seeds").unwrap(), vec![1, 2, 3, 4, 5]);
        assert_eq!(parse_seeds("1,2,7", "--seeds").unwrap(), vec![1, 2, 7]);
        assert_eq!(parse_seeds(" 3-4, 10 ", "--seeds").unwrap(), vec![3, 4, 10]);
        assert_eq!(parse_seeds("0", "--seeds").unwrap(), vec![0]);
        for (bad, why) in [
            ("", "is empty"),
            ("1,,2", "is empty"),
            ("5-1", "runs backwards"),
            ("1,x", "is not a seed"),
            ("-3", "is not a seed"),
            ("1-3,2", "names seed 2 again"),
            ("0-18446744073709551615", "more than 10000 seeds"),
        ] {
            let e = parse_seeds(bad, "--seeds").unwrap_err();
            assert!(e.starts_with("--seeds: ") && e.contains(why), "{bad}: {e}");
        }
    }

    fn row(seed: u64, engine: &str, acc: f64, arch: &str) -> SweepRow {
        SweepRow {
            config: "cue".into(),
            seed,
            engine: engine.into(),
            weight_bits: 8,
            trace_bits: 12,
            arch: arch.into(),
            fits: true,
            fit_error: None,
            test_accuracy: acc,
            nmse: None,
            weight_bytes: 1,
            learning_bytes: 1,
            learning_per_synapse_bytes: 0,
            sram_bytes: None,
            cycles_per_step: None,
            realtime_clock_mhz: None,
            energy_per_inference_nj: None,
            energy_per_training_sample_nj: None,
            train_seconds: 1.0,
            classes: Some(2),
            digest: String::new(),
            success_rate: None,
        }
    }

    /// Mean, sample sd and worst seed per point; a seed's rows on several
    /// architectures count once.
    #[test]
    fn summaries_per_point() {
        let rows = vec![
            row(1, "light", 0.9, "a"),
            row(1, "light", 0.9, "b"),
            row(2, "light", 0.8, "a"),
            row(2, "light", 0.8, "b"),
            row(3, "light", 1.0, "a"),
            row(3, "light", 1.0, "b"),
            row(1, "exact", 0.5, "a"),
        ];
        let s = seed_summaries(&rows);
        assert_eq!(s.len(), 2);
        let l = &s[0];
        assert_eq!((l.engine.as_str(), l.per_seed.len()), ("light", 3));
        assert!((l.mean - 0.9).abs() < 1e-12);
        assert!((l.sd - 0.1).abs() < 1e-12, "sample sd: {}", l.sd);
        assert_eq!((l.worst_seed, l.worst), (2, 0.8));
        assert_eq!((s[1].sd, s[1].worst_seed), (0.0, 1));
        let md = seed_markdown(&s);
        assert!(
            md.contains("| cue | light | 8 | 12 | 3 | test accuracy | 90.0 ± 10.0% | 2: 80.0% | 1: 90.0%, 2: 80.0%, 3: 100.0% |"),
            "{md}"
        );
    }

    /// Regression points are summed up by NMSE, whose worst seed is the largest;
    /// reward points by their learning episodes' success rate (not by the greedy test
    /// in `test_accuracy`), whose worst seed is the smallest.
    #[test]
    fn regression_and_reward_points_have_their_metric() {
        type Set = fn(&mut SweepRow, f64);
        type Want = (&'static str, u64, f64);
        let cases: [(Set, [f64; 2], Want, &str); 2] = [
            (
                |r, v| r.nmse = Some(v),
                [0.02, 0.05],
                ("nmse", 5, 0.05),
                "| NMSE | 0.0350 ± 0.0212 | 5: 0.0500 |",
            ),
            (
                |r, v| r.success_rate = Some(v),
                [0.96, 0.92],
                ("success_rate", 5, 0.92),
                "| success (last episodes) | 94.0 ± 2.8% | 5: 92.0% |",
            ),
        ];
        for (set, values, want, line) in cases {
            let mut rows = vec![row(4, "exact", 0.5, ""), row(5, "exact", 0.9, "")];
            for (r, v) in rows.iter_mut().zip(values) {
                set(r, v);
            }
            let s = seed_summaries(&rows);
            assert_eq!((s[0].metric, s[0].worst_seed, s[0].worst), want);
            assert!(seed_markdown(&s).contains(line), "{}", seed_markdown(&s));
        }
    }
}

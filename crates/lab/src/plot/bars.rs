//! Charts of categories and distributions: grouped bars ([`bars`]), a strip of
//! points per category ([`strip`]) and histograms ([`histograms`]).

use super::*;

/// A grouped bar chart: one cluster per category, one bar per group, with optional
/// error bars.
pub fn bars(
    stem: &Path,
    axes: &Axes<'_>,
    categories: &[String],
    groups: &[BarGroup],
) -> Result<(), String> {
    let mut hi = 0.0f64;
    let mut lo = 0.0f64;
    for g in groups {
        for (i, v) in g.values.iter().enumerate() {
            let e = g
                .errors
                .as_ref()
                .and_then(|e| e.get(i))
                .copied()
                .unwrap_or(0.0);
            if v.is_finite() {
                hi = hi.max(v + e);
                lo = lo.min(v - e);
            }
        }
    }
    // 30 % headroom: the legend sits above the tallest bars, not over them.
    let yr = lo..(if hi > lo { hi * 1.3 } else { 1.0 });
    both!(stem, |root| draw_bars(
        &root,
        axes,
        categories,
        groups,
        yr.clone()
    ))
}

/// A chart with one column of width 1 per category (category `i` centred on
/// `i + 0.5`, its name as the tick label there) and a y axis over `yr`: the frame of
/// [`bars`] and [`strip`].
fn categorical<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    categories: &[String],
    yr: Range<f64>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String>
where
    DB::ErrorType: 'static,
{
    let n = categories.len().max(1);
    let mut chart = frame(root, axes, 64, 0.0..n as f64, yr)?;
    let cats: Vec<String> = categories.to_vec();
    styled(&mut chart.configure_mesh(), axes)
        .disable_x_mesh()
        .y_label_formatter(&tick)
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let k = x.floor();
            if (x - k - 0.5).abs() < 1e-6 && k >= 0.0 {
                cats.get(k as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .draw()
        .map_err(err)?;
    Ok(chart)
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    categories: &[String],
    groups: &[BarGroup],
    yr: Range<f64>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let g = groups.len().max(1);
    let mut chart = categorical(root, axes, categories, yr)?;
    let width = 0.8 / g as f64;
    for (gi, grp) in groups.iter().enumerate() {
        let c = colour(gi);
        let rects = grp.values.iter().enumerate().map(move |(i, &v)| {
            let x0 = i as f64 + 0.1 + gi as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width * 0.92, v)], c.filled())
        });
        chart
            .draw_series(rects)
            .map_err(err)?
            .label(&grp.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        if let Some(errs) = &grp.errors {
            let bars = grp
                .values
                .iter()
                .zip(errs)
                .enumerate()
                .map(|(i, (&v, &e))| {
                    let x = i as f64 + 0.1 + gi as f64 * width + width * 0.46;
                    ErrorBar::new_vertical(x, v - e, v, v + e, BLACK.stroke_width(1), 8)
                });
            chart.draw_series(bars).map_err(err)?;
        }
    }
    legend!(chart, SeriesLabelPosition::UpperRight);
    Ok(())
}

/// A strip chart: one column per category, each run a small open circle (spread a
/// little sideways so equal values stay visible), the mean a filled dot with a
/// +-1 standard deviation bar. The y axis spans the data, not zero: for comparing
/// arms whose means differ by less than their bars would show from zero.
pub fn strip(
    stem: &Path,
    axes: &Axes<'_>,
    categories: &[String],
    values: &[Vec<f64>],
) -> Result<(), String> {
    let all = values.iter().flatten().copied().filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v), h.max(v)));
    let yr = padded(lo, hi);
    // 15 % headroom above for the legend.
    let yr = yr.start..(yr.end + 0.15 * (yr.end - yr.start));
    both!(stem, |root| draw_strip(
        &root,
        axes,
        categories,
        values,
        yr.clone()
    ))
}

fn draw_strip<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    categories: &[String],
    values: &[Vec<f64>],
    yr: Range<f64>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let mut chart = categorical(root, axes, categories, yr)?;
    let (run_c, mean_c) = (colour(0), colour(1));
    let runs = values.iter().enumerate().flat_map(|(i, vs)| {
        let k = vs.len().max(1) as f64;
        vs.iter().enumerate().map(move |(j, &v)| {
            let dx = 0.16 * ((j as f64 + 0.5) / k - 0.5);
            Circle::new((i as f64 + 0.5 + dx, v), 4, run_c.stroke_width(2))
        })
    });
    chart
        .draw_series(runs)
        .map_err(err)?
        .label("one seed")
        .legend(move |(x, y)| Circle::new((x + 6, y), 4, run_c.stroke_width(2)));
    let stats: Vec<(f64, f64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, vs)| !vs.is_empty())
        .map(|(i, vs)| {
            let n = vs.len() as f64;
            let m = vs.iter().sum::<f64>() / n;
            let sd = if vs.len() > 1 {
                (vs.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            (i as f64 + 0.5 + 0.2, m, sd)
        })
        .collect();
    chart
        .draw_series(stats.iter().map(|&(x, m, sd)| {
            ErrorBar::new_vertical(x, m - sd, m, m + sd, mean_c.stroke_width(2), 10)
        }))
        .map_err(err)?;
    chart
        .draw_series(
            stats
                .iter()
                .map(|&(x, m, _)| Circle::new((x, m), 5, mean_c.filled())),
        )
        .map_err(err)?
        .label("mean ± std")
        .legend(move |(x, y)| Circle::new((x + 6, y), 5, mean_c.filled()));
    legend!(chart, SeriesLabelPosition::UpperRight);
    Ok(())
}

/// Two overlaid histograms of the same quantity (e.g. weights before and after
/// learning), with `bins` bins over their common range.
pub fn histograms(
    stem: &Path,
    axes: &Axes<'_>,
    sets: &[(&str, &[f64])],
    bins: usize,
) -> Result<(), String> {
    let bins = bins.max(1);
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for (_, v) in sets {
        for &x in *v {
            if x.is_finite() {
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
    }
    if lo > hi {
        lo = 0.0;
        hi = 1.0;
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let w = (hi - lo) / bins as f64;
    let counts: Vec<Vec<f64>> = sets
        .iter()
        .map(|(_, v)| {
            let mut c = vec![0.0; bins];
            for &x in *v {
                if x.is_finite() {
                    let k = (((x - lo) / w) as usize).min(bins - 1);
                    c[k] += 1.0;
                }
            }
            c
        })
        .collect();
    let top = counts.iter().flatten().copied().fold(1.0, f64::max) * 1.1;
    both!(stem, |root| (|| {
        let mut chart = frame(&root, axes, 64, lo..hi, 0.0..top)?;
        styled(&mut chart.configure_mesh(), axes)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(err)?;
        for (si, ((label, _), c)) in sets.iter().zip(&counts).enumerate() {
            let col = colour(si);
            chart
                .draw_series(c.iter().enumerate().map(|(k, &n)| {
                    let x0 = lo + k as f64 * w;
                    Rectangle::new([(x0, 0.0), (x0 + w, n)], col.mix(0.45).filled())
                }))
                .map_err(err)?
                .label(*label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], col.filled()));
        }
        legend!(chart, SeriesLabelPosition::UpperRight);
        Ok(())
    })())
}

use super::light::{draw, each_bit, each_bit_words, Chance, DRAW_MIN};
use super::*;
use bitvec::prelude::*;
use proptest::prelude::*;

/// A layer for [`light()`].
struct LightLayer {
    trace: Vec<u32>,
    lsig: Vec<i32>,
    psi: Vec<u32>,
    w: Vec<i16>,
    g: Vec<i32>,
    mask: BitVec<u32, Lsb0>,
}

/// `rows` traces, `n` columns (`lsig`, `psi`), weights and accumulators, and a
/// mask, from `seed` (the traces, signals and pseudo-derivatives large and a sixth
/// of each zero, so that many synapses step).
fn light_layer(rows: usize, n: usize, seed: u64) -> LightLayer {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut some = |m: u64| {
        let v = next();
        if v % 6 == 0 {
            0
        } else {
            (v >> 8) % m
        }
    };
    LightLayer {
        trace: (0..rows).map(|_| some(0x1_8000) as u32).collect(),
        lsig: (0..n).map(|_| some(1 << 23) as i32 - (1 << 22)).collect(),
        psi: (0..n).map(|_| some(0x1_8000) as u32).collect(),
        w: (0..rows * n).map(|_| some(256) as i16 - 128).collect(),
        g: (0..rows * n)
            .map(|_| some(1 << 20) as i32 - (1 << 19))
            .collect(),
        mask: (0..rows * n).map(|_| some(4) != 0).collect(),
    }
}

proptest! {
    /// The host's packed rows ([`packed`], which [`light()`] takes with one shift)
    /// step the same synapses as the visits one at a time ([`light()`] with the
    /// shift given per synapse), online and into accumulators, with and without
    /// a mask, on layers wider than one pack (256 columns) and every shift of the
    /// comparator's form: many synapses step, some masked off.
    #[test]
    fn packed_rows_are_the_visits(
        rows in 1usize..12,
        n in 1usize..300,
        k in 17u32..=47,
        online: bool,
        masked: bool,
        base: u32,
        seed: u64,
    ) {
        let LightLayer { trace, lsig, psi, w: w0, g: g0, mask } = light_layer(rows, n, seed);
        let mask = masked.then_some(mask.as_bitslice());
        let bounds = |i: usize| Bounds {
            lo: if i % 3 == 1 { 0 } else { -128 },
            hi: if i % 3 == 2 { 0 } else { 127 },
        };
        let g0 = if online { Vec::new() } else { g0 };
        let (mut wa, mut ga, mut wb, mut gb) = (w0.clone(), g0.clone(), w0.clone(), g0);
        light(&mut wa, &mut ga, &trace, 1, &[], &lsig, &psi, mask, |_| k, Some(k), bounds, base, None, None);
        light(&mut wb, &mut gb, &trace, 1, &[], &lsig, &psi, mask, |_| k, None, bounds, base, None, None);
        prop_assert_eq!(&wa, &wb);
        prop_assert_eq!(&ga, &gb);
    }
}

/// [`packed_rows_are_the_visits`]'s layers are not vacuous: on one of them a
/// large share of the synapses steps, masked-off ones among them where there is
/// no mask.
#[test]
fn packed_rows_step_many_synapses() {
    let (rows, n, k) = (10, 290, 30);
    let LightLayer {
        trace,
        lsig,
        psi,
        w: w0,
        mask,
        ..
    } = light_layer(rows, n, 7);
    let b = |_| Bounds { lo: -128, hi: 127 };
    let mut w = w0.clone();
    light(
        &mut w,
        &mut [],
        &trace,
        1,
        &[],
        &lsig,
        &psi,
        None,
        |_| k,
        Some(k),
        b,
        9,
        None,
        None,
    );
    let stepped = w.iter().zip(&w0).filter(|(a, b)| a != b).count();
    let off = (0..rows * n).filter(|&s| w[s] != w0[s] && !mask[s]).count();
    assert!(stepped > rows * n / 4 && off > 0, "{stepped} {off}");
}

proptest! {
    /// The firmware's loops for a row bounded by its weight format give the bits of
    /// the portable loop, for every width, with the one-shift change of
    /// [`exact_products`] on any product and any weight.
    #[test]
    fn online_width_is_online(
        w0 in prop::collection::vec(any::<i16>(), 0..70),
        prods in prop::collection::vec(-(1i64 << 62)..=(1 << 62), 70),
        m in 1u32..=15,
        base in any::<u32>(),
        index0 in 0usize..1 << 20,
        right in ONE_SHIFT,
    ) {
        let up = right.saturating_sub(32);
        let scale = 1u32 << (right - 1 - up);
        let down = right - 16;
        let change = |p: i64, dither: i64| {
            let odd = ((dither as u32) << 1 | 1) << up;
            let a = (u64::from(odd) * u64::from(scale)) as i64 - p;
            at_most32(((a >> 32) as i32) >> down)
        };
        let hi = (1i32 << m) - 1;
        let (mut fast, mut portable) = (w0.clone(), w0);
        let draw = (base, index0);
        macro_rules! widths {
            ($($m:literal)*) => {
                match m {
                    $($m => online_width::<$m>(&mut fast, prods.iter().copied(), draw, &change),)*
                    _ => unreachable!(),
                }
            };
        }
        widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        online(&mut portable, prods.iter().copied(), draw, Bounds { lo: !hi, hi }, change);
        prop_assert_eq!(fast, portable);
    }

    /// Where `Accumulate::narrow` takes a product, its 32-bit change is the
    /// 64-bit one, and it takes them wherever its bound allows.
    #[test]
    fn narrow_is_the_accumulator(
        k in -3i32..40,
        lmax in 0u32..1 << 17,
        zmax in 0u32..1 << 17,
        l in any::<u32>(),
        z in any::<u32>(),
        acc in any::<i32>(),
    ) {
        let wide = Accumulate::new(k);
        let l = (l % (2 * lmax + 1)) as i64 - lmax as i64;
        let z = z % (zmax + 1);
        let (mut a, mut b) = (acc, acc);
        wide.add_all(core::iter::once((&mut a, l * i64::from(z))));
        match wide.narrow(lmax, zmax) {
            Some(n) => {
                n.add(&mut b, l as i32, z as i32);
                prop_assert_eq!(a, b);
            }
            None => prop_assert!(
                !(0..=31).contains(&k) || u64::from(lmax) * u64::from(zmax) + (1u64 << k >> 1) >= 1 << 31
            ),
        }
    }

    /// `LayerMask::has` reads the bit `bitvec` does, for a mask on the word grid
    /// (from its words) and off it, and none past the mask's end.
    #[test]
    fn has_is_the_bit(words in prop::collection::vec(any::<u32>(), 1..6), lead in 0usize..40) {
        let all = Bits::from_slice(&words);
        let m = &all[lead.min(all.len())..];
        for at in 0..m.len() + 40 {
            let want = m.get(at).is_some_and(|b| *b);
            prop_assert_eq!(LayerMask::new(Some(m)).has(at), want);
        }
        prop_assert!(LayerMask::new(None).has(7));
    }

    /// A row's runs are its maximal stretches of set bits, in order, for a row
    /// at any bit offset in its mask (aligned rows read whole words, others go
    /// through `bitvec`), of any length, sparse or dense.
    #[test]
    fn runs_are_the_stretches_of_set_bits(
        words in prop::collection::vec(any::<u32>(), 1..12),
        dense in 0u8..3,
        off in 0usize..64,
        n in 0usize..300,
    ) {
        // Some masks mostly set, so that runs cross words.
        let words: Vec<u32> = words
            .iter()
            .map(|&w| match dense { 0 => w, 1 => w | w.rotate_left(7), _ => !(w & w >> 3) })
            .collect();
        let all = Bits::from_slice(&words);
        let off = off.min(all.len());
        let row = &all[off..(off + n).min(all.len())];
        let n = row.len();
        // The same row as a row of the whole mask (a word-aligned layer), and of
        // the mask from bit 3 on (a layer off the word grid).
        let layer = |lead: usize| {
            let lead = lead.min(off);
            LayerMask::new(Some(&all[lead..])).runs(off - lead, n).collect::<Vec<_>>()
        };
        let mut want = Vec::new();
        let mut j = 0;
        while j < n {
            if row[j] {
                let s = j;
                while j < n && row[j] {
                    j += 1;
                }
                want.push((s, j));
            } else {
                j += 1;
            }
        }
        prop_assert_eq!(Runs::new(Some(row), n).collect::<Vec<_>>(), want.clone());
        prop_assert_eq!(layer(0), want.clone());
        prop_assert_eq!(layer(3), want.clone());
        // A row that runs past the mask's end: the columns there are absent.
        let end = all.len() - off;
        let mut past = Vec::new();
        let mut j = 0;
        while j < end {
            if all[off + j] {
                let s = j;
                while j < end && all[off + j] {
                    j += 1;
                }
                past.push((s, j));
            } else {
                j += 1;
            }
        }
        for lead in [0, 3] {
            let lead = lead.min(off);
            let runs = LayerMask::new(Some(&all[lead..])).runs(off - lead, end + 70);
            prop_assert_eq!(runs.collect::<Vec<_>>(), past.clone());
        }
        prop_assert_eq!(Runs::new(None, n).collect::<Vec<_>>(), if n > 0 { vec![(0, n)] } else { vec![] });
    }

    /// The light comparator without the probability's shift and clamp
    /// (`Chance::over`, and the draw `0xFFFF` that never steps) is
    /// `Chance::steps_col`: any column product, trace, draw and shift it takes.
    #[test]
    fn over_is_the_comparator(
        col in 0u64..1 << 47,
        tr in any::<u32>(),
        base in any::<u32>(),
        k in 0u32..70,
        near in any::<bool>(),
    ) {
        let chance = Chance::new(k, tr);
        let h = bits32(base, 7);
        // Half the cases at the bound `(2d + 1) 2^(k-1)` itself, where an
        // off-by-one would show.
        let col = if near && chance.tr > 0 {
            let bound = u64::from((h >> 15) | 1) << chance.k.saturating_sub(1);
            (bound / chance.tr).saturating_add(col & 1).min((1 << 47) - 1)
        } else {
            col
        };
        let want = chance.steps_col(col, base, 7);
        match Chance::over_shifts(chance.k) {
            Some(shifts) => {
                prop_assert!((17..=47).contains(&chance.k));
                prop_assert_eq!(chance.over(col, h, shifts) && h >> 16 != 0xFFFF, want);
            }
            None => prop_assert!(!(17..=47).contains(&chance.k)),
        }
    }

    /// A draw above a row's ceiling never steps: any product up to the block's
    /// largest, any trace, draw and shift; half the cases with the largest
    /// product at the draw's own bound, where a ceiling one too low would turn
    /// away a draw that steps.
    #[test]
    fn the_ceiling_turns_away_only_draws_that_never_step(
        most in 0u64..1 << 47,
        frac in 0u64..=1000,
        tr in 1u32..1 << 16,
        h in any::<u32>(),
        k in 17u32..=47,
        near in any::<bool>(),
    ) {
        let chance = Chance::new(k, tr);
        let shifts = Chance::over_shifts(chance.k).unwrap();
        let most = if near {
            (u64::from(draw(h)) << (k - 16)).div_ceil(u64::from(tr)).min((1 << 47) - 1)
        } else {
            most
        };
        let col = if near { most } else { most / 1000 * frac };
        let ceiling = chance.ceiling(most, shifts);
        if draw(h) > ceiling {
            prop_assert!(!chance.over(col, h, shifts), "most {} col {} ceiling {}", most, col, ceiling);
        }
        prop_assert!(ceiling >= DRAW_MIN || !chance.over(most, h, shifts));
    }

    /// Both walks of a 64-bit active set visit its set bits in ascending order.
    #[test]
    fn bit_walks_visit_every_set_bit_in_order(bits in any::<u64>()) {
        let want: Vec<usize> = (0..64).filter(|&c| bits >> c & 1 == 1).collect();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        each_bit(bits, |c| a.push(c));
        each_bit_words(bits, |c| b.push(c));
        prop_assert_eq!(&a, &want);
        prop_assert_eq!(&b, &want);
    }

    /// A row's absent synapses are the columns outside its runs, in order (one
    /// past the mask's end absent too), or `None` when there are more than the
    /// list holds; a layer without a mask has none.
    #[test]
    fn absent_synapses_are_the_gaps_between_runs(
        words in prop::collection::vec(any::<u32>(), 1..12),
        holes in prop::collection::vec(0usize..400, 0..6),
        off in 0usize..64,
        n in 0usize..300,
        past in 0usize..80,
        cap in 0usize..10,
    ) {
        // Mostly set (a few holes), so that most rows fit the list.
        let mut all = Bits::from_slice(&words).to_bitvec();
        all.fill(true);
        for h in holes {
            if h < all.len() {
                all.set(h, false);
            }
        }
        // Rows anywhere, and rows on the word grid (the fast path of a dense
        // layer's rows).
        for off in [off.min(all.len()), off.min(all.len()) & !31] {
            let n = (n + past).min(all.len() - off + past);
            for lead in [0usize, 3] {
                let lead = lead.min(off);
                let mask = LayerMask::new(Some(&all[lead..]));
                let mut want: Vec<usize> = (0..n).collect();
                for (s, e) in mask.runs(off - lead, n) {
                    want.retain(|&j| j < s || j >= e);
                }
                let mut out = vec![usize::MAX; cap];
                let got = mask.absent(off - lead, n, &mut out);
                if want.len() <= cap {
                    prop_assert_eq!(got, Some(want.len()));
                    prop_assert_eq!(&out[..want.len()], &want[..]);
                } else {
                    prop_assert_eq!(got, None);
                }
            }
        }
        let mut out = [0usize; 1];
        prop_assert_eq!(LayerMask::new(None).absent(0, n, &mut out), Some(0));
    }
}

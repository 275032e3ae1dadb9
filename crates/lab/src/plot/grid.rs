//! Charts on a grid of cells: a spike raster ([`raster`]), a heatmap ([`heatmap`])
//! and a confusion matrix ([`confusion`]).

use super::*;

/// A spike raster: groups of rows stacked from the top (input first), one dot per
/// spike, the groups separated by a line and named on the left.
pub fn raster(
    stem: &Path,
    axes: &Axes<'_>,
    groups: &[RasterGroup],
    steps: u32,
) -> Result<(), String> {
    let total: usize = groups.iter().map(|g| g.rows.len()).sum::<usize>().max(1);
    // Group names at the middle of their rows on the y axis.
    let mut mids: Vec<(f64, String)> = Vec::new();
    let mut top = total as f64;
    for g in groups {
        let h = g.rows.len() as f64;
        let n = g.rows.len();
        let name = if g.of > n {
            format!("{} (first {n} of {})", g.label, g.of)
        } else {
            format!("{} ({n})", g.label)
        };
        mids.push((top - h / 2.0, name));
        top -= h;
    }
    // Wide enough for the longest name (about 7 pixels a character at this size).
    let widest = mids
        .iter()
        .map(|(_, s)| s.chars().count())
        .max()
        .unwrap_or(0);
    let label_px = (widest as u32 * 7 + 12).max(90);
    both!(stem, |root| (|| {
        let mut chart = frame(
            &root,
            axes,
            label_px,
            0.0..f64::from(steps.max(1)),
            0.0..total as f64,
        )?;
        let mids2 = mids.clone();
        // Smaller labels and lighter grid lines than the other charts: rows are dense.
        styled(&mut chart.configure_mesh(), axes)
            .disable_y_mesh()
            .x_label_formatter(&tick)
            .y_labels(total.min(400) * 2)
            .y_label_formatter(&move |y| {
                mids2
                    .iter()
                    .find(|(m, _)| (m - y).abs() < 0.5 * (total as f64 / 400.0).max(1.0) * 0.5)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default()
            })
            .label_style((FAMILY, 13))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(err)?;
        let mut top = total as f64;
        let dot = (f64::from(SIZE.1) / total as f64 * 0.35).clamp(1.0, 3.0) as i32;
        for (gi, g) in groups.iter().enumerate() {
            let c = colour(gi);
            let mut pts = Vec::new();
            for (r, times) in g.rows.iter().enumerate() {
                let y = top - r as f64 - 0.5;
                for &t in times {
                    pts.push((f64::from(t) + 0.5, y));
                }
            }
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, dot, c.filled())))
                .map_err(err)?;
            top -= g.rows.len() as f64;
            if gi + 1 < groups.len() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(0.0, top), (f64::from(steps.max(1)), top)],
                        BLACK.mix(0.5).stroke_width(1),
                    )))
                    .map_err(err)?;
            }
        }
        Ok(())
    })())
}

/// A heat map: `cells[r][c]` drawn as the cell `x = x0 + c * dx`, `y = r` (row 0 at
/// the bottom), shaded from white (the smallest value) to dark blue (the largest);
/// for spectrograms (time by band) and confusion matrices.
pub fn heatmap(
    stem: &Path,
    axes: &Axes<'_>,
    cells: &[Vec<f64>],
    x0: f64,
    dx: f64,
) -> Result<(), String> {
    let rows = cells.len();
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let vals = || cells.iter().flatten().copied().filter(|v| v.is_finite());
    let lo = vals().fold(f64::INFINITY, f64::min);
    let hi = vals().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let shade = |v: f64| {
        let t = ((v - lo) / span).clamp(0.0, 1.0);
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
    };
    let x1 = x0 + dx * cols.max(1) as f64;
    both!(stem, |root| (|| {
        let mut chart = frame(&root, axes, 56, x0..x1, 0.0..rows.max(1) as f64)?;
        styled(&mut chart.configure_mesh(), axes)
            .disable_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(cells.iter().enumerate().flat_map(|(r, row)| {
                row.iter().enumerate().map(move |(c, &v)| {
                    let x = x0 + dx * c as f64;
                    Rectangle::new([(x, r as f64), (x + dx, r as f64 + 1.0)], shade(v).filled())
                })
            }))
            .map_err(err)?;
        Ok(())
    })())
}

/// A confusion matrix: `counts[true][predicted]`, one row per true class (the first
/// at the top) and one column per prediction, each cell shaded by its share of its
/// row (white 0 to dark blue 1) and labelled with its count; class names on both
/// axes. Rows without samples stay white.
pub fn confusion(
    stem: &Path,
    title: &str,
    classes: &[String],
    counts: &[Vec<u32>],
) -> Result<(), String> {
    let n = classes.len().max(1);
    let shade = |t: f64| {
        let t = t.clamp(0.0, 1.0);
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        RGBColor(mix(255.0, 8.0), mix(255.0, 48.0), mix(255.0, 107.0))
    };
    let name = |x: &f64| {
        let k = x.floor();
        if (x - k - 0.5).abs() < 1e-6 && k >= 0.0 {
            classes.get(k as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    // Row r (true class r) is drawn at y = n - 1 - r: the first class on top.
    let rows = |y: &f64| name(&(n as f64 - y));
    both!(stem, |root| (|| {
        let axes = Axes {
            title,
            x: "predicted class",
            y: "true class",
        };
        let mut chart = frame(&root, &axes, 96, 0.0..n as f64, 0.0..n as f64)?;
        styled(&mut chart.configure_mesh(), &axes)
            .disable_mesh()
            .x_labels(n * 2 + 1)
            .y_labels(n * 2 + 1)
            .x_label_formatter(&name)
            .y_label_formatter(&rows)
            .x_label_style((FAMILY, 11))
            .y_label_style((FAMILY, 11))
            .draw()
            .map_err(err)?;
        for (r, row) in counts.iter().enumerate().take(n) {
            let total: u32 = row.iter().sum();
            let y = (n - 1 - r) as f64;
            for (c, &v) in row.iter().enumerate().take(n) {
                let share = if total == 0 {
                    0.0
                } else {
                    f64::from(v) / f64::from(total)
                };
                let x = c as f64;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        shade(share).filled(),
                    )))
                    .map_err(err)?;
                if v > 0 {
                    let ink = if share > 0.5 { WHITE } else { BLACK };
                    let style = TextStyle::from((FAMILY, 12).into_font()).color(&ink).pos(
                        plotters::style::text_anchor::Pos::new(
                            plotters::style::text_anchor::HPos::Center,
                            plotters::style::text_anchor::VPos::Center,
                        ),
                    );
                    chart
                        .draw_series(std::iter::once(Text::new(
                            v.to_string(),
                            (x + 0.5, y + 0.5),
                            style,
                        )))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    })())
}

//! Figures for run folders: every chart is written twice, as `<stem>.png` (800×500,
//! bitmap) and `<stem>.svg`, by `plotters`.
//!
//! Text needs a TrueType font. It is read once from `$NEUROCHIP_FONT`, or from the
//! first of [`FONT_PATHS`] that exists (Debian's `fonts-dejavu-core`, which `make`
//! installs when absent). Without one, plotting fails with an error that says so; the
//! run itself is not affected.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// Where a sans-serif TrueType font is looked for, in order.
pub const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Size of every bitmap figure, pixels.
pub const SIZE: (u32, u32) = (800, 500);

/// The font family name charts use.
const FAMILY: &str = "sans-serif";

/// Colours of series, in order: a palette legible to the common colour-blindnesses
/// (Okabe & Ito).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn font() -> Result<(), String> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut tried: Vec<PathBuf> = Vec::new();
        if let Some(p) = std::env::var_os("NEUROCHIP_FONT") {
            tried.push(PathBuf::from(p));
        }
        tried.extend(FONT_PATHS.iter().map(PathBuf::from));
        for path in &tried {
            if let Ok(bytes) = std::fs::read(path) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                for style in [FontStyle::Normal, FontStyle::Bold] {
                    plotters::style::register_font(FAMILY, style, bytes).map_err(|_| {
                        format!("{}: not a TrueType font we can read", path.display())
                    })?;
                }
                return Ok(());
            }
        }
        Err(
            "no TrueType font for the plots: install fonts-dejavu-core (make does) or set \
             NEUROCHIP_FONT to a .ttf file"
                .to_string(),
        )
    })
    .clone()
}

/// One line of a line chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
    /// Dashed (e.g. the float reference beside the chip).
    pub dashed: bool,
    /// Palette index; by default the series' position.
    pub colour: Option<usize>,
}

impl Series {
    /// A solid line.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            label: label.into(),
            points,
            dashed: false,
            colour: None,
        }
    }

    /// Draw in palette colour `i` (e.g. a chip line and its reference in one colour).
    pub fn colour(self, i: usize) -> Self {
        Self {
            colour: Some(i),
            ..self
        }
    }

    /// A dashed line.
    pub fn dashed(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            dashed: true,
            ..Self::new(label, points)
        }
    }
}

/// Title and axis labels (with units) of a chart.
#[derive(Clone, Copy, Debug)]
pub struct Axes<'a> {
    /// Chart title.
    pub title: &'a str,
    /// X axis label, with its unit.
    pub x: &'a str,
    /// Y axis label, with its unit.
    pub y: &'a str,
}

/// One group of bars: one value (and optional error bar) per category.
#[derive(Clone, Debug)]
pub struct BarGroup {
    /// Legend label.
    pub label: String,
    /// One value per category.
    pub values: Vec<f64>,
    /// Half-height of the error bar per category (e.g. one standard deviation).
    pub errors: Option<Vec<f64>>,
}

impl BarGroup {
    /// Bars of `values` with error bars of half-height `errors`.
    pub fn with_errors(label: impl Into<String>, values: Vec<f64>, errors: Vec<f64>) -> Self {
        Self {
            label: label.into(),
            values,
            errors: Some(errors),
        }
    }
}

/// One row group of a raster: a name and, per row, the spike times (steps).
#[derive(Clone, Debug)]
pub struct RasterGroup {
    /// Group name (input, recurrent, readout).
    pub label: String,
    /// Spike times per row.
    pub rows: Vec<Vec<u32>>,
    /// Units in the group; when more than the rows drawn, the label says
    /// "first N of M".
    pub of: usize,
}

fn paths(stem: &Path) -> (PathBuf, PathBuf) {
    (stem.with_extension("png"), stem.with_extension("svg"))
}

/// Draw `$body` (with `$root` bound to the drawing area) into `<stem>.png` and
/// `<stem>.svg`. The PNG is drawn under a temporary name and renamed, the SVG written
/// atomically, so a half-drawn figure never replaces a good one.
macro_rules! both {
    ($stem:expr, |$root:ident| $body:expr) => {{
        let stem: &Path = $stem;
        font()?;
        let (png, svg) = paths(stem);
        let tmp_png = png.with_extension("tmp.png");
        {
            let $root = canvas(BitMapBackend::new(&tmp_png, SIZE))?;
            let r: Result<(), String> = $body;
            r?;
            present(&$root, &png)?;
        }
        std::fs::rename(&tmp_png, &png).map_err(|e| format!("{}: {e}", png.display()))?;
        let mut text = String::new();
        {
            let $root = canvas(SVGBackend::with_string(&mut text, SIZE))?;
            let r: Result<(), String> = $body;
            r?;
            present(&$root, &svg)?;
        }
        neurochip_emu::export::write_atomic(&svg, text.as_bytes())
            .map_err(|e| format!("{}: cannot write: {e}", svg.display()))
    }};
}

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("plot: {e}")
}

/// A white drawing area on `backend`, for `both!` to draw on.
fn canvas<DB: DrawingBackend>(backend: DB) -> Result<DrawingArea<DB, Shift>, String>
where
    DB::ErrorType: 'static,
{
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    Ok(root)
}

/// Finish the drawing on `root` into the file `path` (named in the error).
fn present<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, path: &Path) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.present()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A range around `lo..hi` with a margin, never empty.
pub fn padded(lo: f64, hi: f64) -> Range<f64> {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = hi - lo;
    let m = if span > 0.0 {
        span * 0.05
    } else {
        lo.abs().max(1.0) * 0.05
    };
    (lo - m)..(hi + m)
}

/// Draw the legend of `chart` at `pos`: one style for every chart.
macro_rules! legend {
    ($chart:expr, $pos:expr) => {
        $chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position($pos)
            .draw()
            .map_err(err)?
    };
}

/// A tick label: integers without a fraction, others with as few digits as they
/// need.
pub fn tick(x: &f64) -> String {
    let x = *x;
    if x == x.round() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        // A tick a rounding error below zero is zero, not "-0".
        if s == "-0" { "0" } else { s }.to_string()
    }
}

/// The corner of the plot area whose quarter holds the fewest points: where the
/// legend hides the least.
fn legend_corner(series: &[Series], xr: &Range<f64>, yr: &Range<f64>) -> SeriesLabelPosition {
    let (w, h) = (xr.end - xr.start, yr.end - yr.start);
    let mut count = [0usize; 4];
    for s in series {
        for &(x, y) in &s.points {
            let fx = (x - xr.start) / w;
            let fy = (y - yr.start) / h;
            let right = fx > 0.6;
            let left = fx < 0.4;
            let top = fy > 0.6;
            let bottom = fy < 0.4;
            if top && right {
                count[0] += 1;
            }
            if top && left {
                count[1] += 1;
            }
            if bottom && right {
                count[2] += 1;
            }
            if bottom && left {
                count[3] += 1;
            }
        }
    }
    let best = (0..4).min_by_key(|&i| (count[i], i)).unwrap_or(0);
    match best {
        0 => SeriesLabelPosition::UpperRight,
        1 => SeriesLabelPosition::UpperLeft,
        2 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::LowerLeft,
    }
}

fn extent(series: &[Series]) -> (Range<f64>, Range<f64>) {
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        if x.is_finite() && y.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    let xr = if x0 <= x1 { x0..x1 } else { 0.0..1.0 };
    let mut yr = padded(y0, y1);
    // Data that is never negative starts on the axis, not below it.
    if y0 >= 0.0 && y0 <= y1 && yr.start < 0.0 {
        yr.start = 0.0;
    }
    (xr, yr)
}

/// Whether every x of `series` is a whole number (epochs, counts): the axis then
/// labels whole numbers only.
fn whole_x(series: &[Series]) -> bool {
    series
        .iter()
        .flat_map(|s| s.points.iter())
        .all(|&(x, _)| !x.is_finite() || x == x.round())
}

/// A tick label for a whole-number axis: whole numbers, and nothing between them.
fn whole_tick(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        tick(&x.round())
    } else {
        String::new()
    }
}

/// The frame every chart shares: the title, margins and label areas (the y labels
/// `y_labels` pixels wide) around `xr` x `yr`.
fn frame<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    y_labels: u32,
    xr: Range<f64>,
    yr: Range<f64>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String>
where
    DB::ErrorType: 'static,
{
    ChartBuilder::on(root)
        .caption(axes.title, (FAMILY, 22))
        .margin(12)
        .margin_right(36)
        .x_label_area_size(44)
        .y_label_area_size(y_labels)
        .build_cartesian_2d(xr, yr)
        .map_err(err)
}

/// The mesh style every chart shares: axis names, label fonts and light grid lines;
/// the caller adds its tick formatters and draws.
fn styled<'m, 'a, 'b, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB>,
    axes: &Axes<'_>,
) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    mesh.x_desc(axes.x)
        .y_desc(axes.y)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(RGBColor(235, 235, 235))
}

/// The finite points of `s`.
fn finite(s: &Series) -> Vec<(f64, f64)> {
    s.points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect()
}

/// A line chart of `series`, with a legend.
pub fn lines(stem: &Path, axes: &Axes<'_>, series: &[Series]) -> Result<(), String> {
    lines_in(stem, axes, series, None)
}

/// A line chart with a fixed y range (e.g. accuracy 0..1).
pub fn lines_y(
    stem: &Path,
    axes: &Axes<'_>,
    series: &[Series],
    y: Range<f64>,
) -> Result<(), String> {
    lines_in(stem, axes, series, Some(y))
}

fn lines_in(
    stem: &Path,
    axes: &Axes<'_>,
    series: &[Series],
    y: Option<Range<f64>>,
) -> Result<(), String> {
    let (xr, yr) = extent(series);
    let yr = y.unwrap_or(yr);
    both!(stem, |root| draw_lines(
        &root,
        axes,
        series,
        xr.clone(),
        yr.clone()
    ))
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    series: &[Series],
    xr: Range<f64>,
    yr: Range<f64>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let corner = legend_corner(series, &xr, &yr);
    let whole = whole_x(series);
    let span = (xr.end - xr.start).round().max(1.0) as usize;
    let mut chart = frame(root, axes, 64, xr, yr)?;
    let mut mesh = chart.configure_mesh();
    styled(&mut mesh, axes).y_label_formatter(&tick);
    if whole {
        mesh.x_labels((span + 1).min(12))
            .x_label_formatter(&whole_tick);
    } else {
        mesh.x_label_formatter(&tick);
    }
    mesh.draw().map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let c = colour(s.colour.unwrap_or(i));
        let style = c.stroke_width(2);
        let pts = finite(s);
        if s.dashed {
            chart
                .draw_series(DashedLineSeries::new(pts, 6, 4, style))
                .map_err(err)?
                .label(&s.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 8, y)], c.stroke_width(2))
                });
        } else {
            let single = pts.len() == 1;
            let ann = chart
                .draw_series(LineSeries::new(pts.clone(), style))
                .map_err(err)?;
            ann.label(&s.label).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
            });
            if single || pts.len() <= 40 {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(err)?;
            }
        }
    }
    if series.iter().any(|s| !s.label.is_empty()) {
        legend!(chart, corner);
    }
    Ok(())
}

/// A scatter chart: each series a set of unconnected points, with a legend. With
/// `log_x` the x axis is logarithmic (positive x only; ticks at the decades).
pub fn scatter(stem: &Path, axes: &Axes<'_>, series: &[Series], log_x: bool) -> Result<(), String> {
    scatter_line(stem, axes, series, log_x, None)
}

/// [`scatter`] with a dashed horizontal reference line `(y, label)` across the chart
/// (a chance level, say), kept inside the y range.
pub fn scatter_line(
    stem: &Path,
    axes: &Axes<'_>,
    series: &[Series],
    log_x: bool,
    line: Option<(f64, &str)>,
) -> Result<(), String> {
    let series: Vec<Series> = if log_x {
        series
            .iter()
            .map(|s| Series {
                points: s
                    .points
                    .iter()
                    .filter(|p| p.0 > 0.0)
                    .map(|&(x, y)| (x.log10(), y))
                    .collect(),
                ..s.clone()
            })
            .collect()
    } else {
        series.to_vec()
    };
    let (xr, yr) = extent(&series);
    let yr = match line {
        Some((y, _)) if y.is_finite() => {
            let (lo, hi) = (yr.start.min(y), yr.end.max(y));
            padded(lo, hi)
        }
        _ => yr,
    };
    let xr = if log_x {
        (xr.start - 0.25).floor().min(xr.start - 0.1)..(xr.end + 0.25).ceil().max(xr.end + 0.1)
    } else {
        padded(xr.start, xr.end)
    };
    both!(stem, |root| draw_scatter(
        &root,
        axes,
        &series,
        xr.clone(),
        yr.clone(),
        log_x,
        line
    ))
}

/// A tick of a log10 axis: the power of ten at whole decades, nothing between.
fn decade(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        tick(&10f64.powf(v.round()))
    } else {
        String::new()
    }
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    series: &[Series],
    xr: Range<f64>,
    yr: Range<f64>,
    log_x: bool,
    line: Option<(f64, &str)>,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let decades = (xr.end - xr.start).round().max(1.0) as usize;
    let (x0, x1) = (xr.start, xr.end);
    let corner = legend_corner(series, &xr, &yr);
    let mut chart = frame(root, axes, 64, xr, yr)?;
    let fmt: &dyn Fn(&f64) -> String = if log_x { &decade } else { &tick };
    let mut mesh = chart.configure_mesh();
    if log_x {
        mesh.x_labels(decades + 1);
    }
    styled(&mut mesh, axes)
        .x_label_formatter(fmt)
        .y_label_formatter(&tick)
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let c = colour(s.colour.unwrap_or(i));
        chart
            .draw_series(finite(s).into_iter().map(|p| Circle::new(p, 5, c.filled())))
            .map_err(err)?
            .label(&s.label)
            .legend(move |(x, y)| Circle::new((x + 6, y), 5, c.filled()));
    }
    if let Some((y, label)) = line {
        let c = BLACK.mix(0.6);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, y), (x1, y)],
                6,
                4,
                c.stroke_width(2),
            ))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2)));
    }
    legend!(chart, corner);
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("neurochip-plot-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    #[test]
    fn ticks_are_short_and_never_minus_zero() {
        assert_eq!(tick(&3.0), "3");
        assert_eq!(tick(&0.25), "0.25");
        assert_eq!(tick(&-0.2), "-0.2");
        assert_eq!(tick(&-1e-17), "0");
        assert_eq!(tick(&-0.0004), "0");
    }

    #[test]
    fn every_chart_writes_png_and_svg() {
        if let Err(e) = font() {
            panic!("{e} (make setup installs it)");
        }
        let ax = Axes {
            title: "t",
            x: "step",
            y: "value",
        };
        let s = [
            Series::new("chip", vec![(0.0, 1.0), (1.0, 2.0)]),
            Series::dashed("float", vec![(0.0, 1.5), (1.0, 2.5)]),
        ];
        let stem = tmp("lines");
        lines(&stem, &ax, &s).unwrap();
        let b = tmp("bars");
        bars(
            &b,
            &ax,
            &["a".into(), "b".into()],
            &[BarGroup {
                label: "g".into(),
                values: vec![0.5, 0.7],
                errors: Some(vec![0.1, 0.05]),
            }],
        )
        .unwrap();
        let h = tmp("hist");
        histograms(
            &h,
            &ax,
            &[("before", &[0.0, 1.0, 1.0]), ("after", &[2.0])],
            10,
        )
        .unwrap();
        let r = tmp("raster");
        raster(
            &r,
            &ax,
            &[RasterGroup {
                label: "in".into(),
                rows: vec![vec![1, 3], vec![]],
                of: 2,
            }],
            5,
        )
        .unwrap();
        let c = tmp("confusion");
        confusion(
            &c,
            "confusion",
            &["_silence_".into(), "yes".into(), "no".into()],
            &[vec![5, 0, 1], vec![0, 7, 2], vec![0, 0, 0]],
        )
        .unwrap();
        let svg = std::fs::read_to_string(c.with_extension("svg")).unwrap();
        assert!(
            svg.contains("\n_silence_\n") && svg.contains("\n7\n"),
            "labels and counts"
        );
        for stem in [stem, b, h, r, c] {
            let png = std::fs::read(stem.with_extension("png")).unwrap();
            assert_eq!(&png[1..4], b"PNG");
            let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
            assert!(svg.contains("<svg"));
        }
    }
}

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

// The charts past the lines and scatters, after the macros they use (`both!`,
// `legend!`): a `macro_rules!` is seen only below its definition.
mod bars;
mod grid;
#[cfg(test)]
mod tests;

pub use bars::{bars, histograms, strip};
pub use grid::{confusion, heatmap, raster};

use super::*;

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
    // The charts' folder, removed when the test ends.
    let dir = tempfile::Builder::new()
        .prefix("neurochip-plot-")
        .tempdir()
        .unwrap();
    let tmp = |name: &str| dir.path().join(name);
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

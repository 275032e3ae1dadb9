//! The run loop's model interface takes an error given directly (`Goal::Error`, as the
//! actor–critic needs): on the chip it is the regression error `y - target` that
//! `Goal::Values(target)` gives, in the same bits.

use bitvec::prelude::*;
use neurochip_emu::{build, config};
use neurochip_tasks::model::{Goal, Model, OnChip};

#[test]
fn an_error_given_directly_is_the_regression_error() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cfg = config::load(&root.join("examples/pattern.toml")).unwrap();
    let (_, chip) = build::chip(&cfg).unwrap();
    let o = chip.config().n_out();
    let lsb = chip.config().formats().readout.lsb();
    let mut x = bitvec![u32, Lsb0; 0; chip.config().n_in()];
    x.iter_mut().step_by(3).for_each(|mut b| *b = true);
    let run = |by_error: bool| {
        let mut chip = chip.clone();
        {
            let (c, mut mem) = chip.parts();
            let mut q = vec![0; o];
            let mut m = OnChip::new(c, &mut mem, &mut q);
            m.begin_sample();
            let mut y = vec![0.0; o];
            for t in 0..20 {
                m.step(&x).unwrap();
                m.readout_real(&mut y);
                // Targets on the readout grid, so both ways round alike.
                let target: Vec<f64> = (0..o).map(|k| ((t + k) % 7) as f64 * 37.0 * lsb).collect();
                if by_error {
                    let e: Vec<f64> = y.iter().zip(&target).map(|(y, t)| y - t).collect();
                    m.learn(Goal::Error(&e)).unwrap();
                } else {
                    m.learn(Goal::Values(&target)).unwrap();
                }
            }
            m.end_sample(true).unwrap();
        }
        (chip.digest(), chip.arenas().1.to_vec())
    };
    let (untrained, w0) = (chip.digest(), chip.arenas().1.to_vec());
    let by_values = run(false);
    assert_ne!(
        by_values,
        (untrained, w0),
        "the sample must learn something"
    );
    assert_eq!(by_values, run(true));
}

//! What more than one fuzz target draws from its input the same way.

use neurochip_core::learning::{Apply, Engine, Feedback, Learning};

/// The default learning with the engine `engine` picks (off, exact or light, by its
/// value modulo 3), applied per sample or online, with random or symmetric feedback.
pub fn learning(engine: u8, sample: bool, random_feedback: bool) -> Learning {
    Learning {
        engine: match engine % 3 {
            0 => Engine::Off,
            1 => Engine::Exact,
            _ => Engine::Light,
        },
        apply: if sample { Apply::Sample } else { Apply::Online },
        feedback: if random_feedback {
            Feedback::Random
        } else {
            Feedback::Symmetric
        },
        ..Learning::DEFAULT
    }
}

//! Option names, spaces, definitions and values in the configuration.

/// Option spaces and definitions known while parsing.
#[derive(Debug, Clone, Default)]
pub struct OptionState {}

impl OptionState {
    /// The built-in spaces (and, for `-6`, the v6 ones).
    pub fn new(v6: bool) -> Self {
        let _ = v6;
        OptionState {}
    }
}

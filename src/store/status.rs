//! How strongly the article supports a row: `stated` > `inferred` > `background`.
//!
//! A written fact carries its status. A derived row's status is the weakest status among the
//! premises of its strongest derivation: a row derivable from stated facts alone is stated,
//! even if another derivation uses background knowledge. The statuses form a finite chain
//! (a lattice with `min` as meet and `max` as join), so the fixpoint that computes them ends.

use std::fmt;

/// The strength of a row's support, weakest first (so `min` is "the weakest of").
#[derive(
    serde::Serialize,
    serde::Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
)]
pub enum Status {
    /// General knowledge the article does not give.
    Background,
    /// Implied by the article, with its basis.
    Inferred,
    /// Said by the article.
    #[default]
    Stated,
}

impl Status {
    /// Every status, strongest first: the order in which the fixpoint derives them.
    pub const STRONGEST_FIRST: [Status; 3] = [Status::Stated, Status::Inferred, Status::Background];

    /// `stated`, `inferred` or `background`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Background => "background",
            Status::Inferred => "inferred",
            Status::Stated => "stated",
        }
    }

    /// Reads `stated`, `inferred` or `background`.
    pub fn parse(text: &str) -> Option<Status> {
        Status::STRONGEST_FIRST
            .into_iter()
            .find(|s| s.name() == text)
    }

    /// A trust level (`--trust`, `:trust`): a status, or `all` (the same as `background`).
    pub fn parse_trust(text: &str) -> Option<Status> {
        match text {
            "all" => Some(Status::Background),
            _ => Status::parse(text),
        }
    }

    /// Two bits, for packing beside a rule number.
    pub(crate) fn bits(self) -> u32 {
        self as u32
    }

    pub(crate) fn from_bits(bits: u32) -> Status {
        match bits & 3 {
            0 => Status::Background,
            1 => Status::Inferred,
            _ => Status::Stated,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weakest_is_min_and_names_round_trip() {
        use Status::*;
        assert_eq!(Stated.min(Background), Background);
        assert_eq!(Inferred.min(Stated), Inferred);
        assert_eq!(Inferred.max(Background), Inferred);
        for s in Status::STRONGEST_FIRST {
            assert_eq!(Status::parse(s.name()), Some(s));
            assert_eq!(Status::from_bits(s.bits()), s);
        }
        assert_eq!(Status::parse("derived"), None);
    }
}

use super::*;
use crate::wire::name::{Compressor, is_at_or_below};

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// The in-place bailiwick test gives the verdict of the label by
    /// label one, for names compressed against each other or written
    /// out (in any case), and against owned names.
    #[test]
    fn in_place_at_or_below_agrees(
        names in proptest::collection::vec(
            (
                proptest::collection::vec(
                    proptest::prop_oneof![
                        proptest::prelude::Just("mx".to_owned()),
                        proptest::prelude::Just("example".to_owned()),
                        proptest::prelude::Just("EXAMPLE".to_owned()),
                        proptest::prelude::Just("com".to_owned()),
                        "[a-zA-Z]{1,3}",
                    ],
                    0..5,
                ),
                proptest::prelude::any::<bool>(),
            ),
            1..8,
        ),
    ) {
        let mut m = vec![0u8; 12];
        let mut c = Compressor::default();
        let mut starts = Vec::new();
        let mut owned = Vec::new();
        for (labels, compress) in &names {
            let text = if labels.is_empty() { ".".to_owned() } else { labels.join(".") };
            let Ok(name) = Name::from_ascii(&text) else { continue };
            starts.push(m.len());
            if *compress {
                c.write(&name, &mut m);
            } else {
                // Written out as given, case kept.
                for l in labels {
                    m.push(l.len() as u8);
                    m.extend_from_slice(l.as_bytes());
                }
                m.push(0);
            }
            owned.push(name);
        }
        for &a in &starts {
            let here = NameRef::at_offset(&m, a);
            for &b in &starts {
                let parent = NameRef::at_offset(&m, b);
                let want = is_at_or_below(|| here.labels(), || parent.labels());
                proptest::prop_assert_eq!(here.is_at_or_below(&parent), want);
            }
            for name in &owned {
                let want = is_at_or_below(|| here.labels(), || name.labels());
                proptest::prop_assert_eq!(here.is_at_or_below(&NameRef::over(name)), want);
            }
        }
    }
}

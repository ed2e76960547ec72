//! The decoder against the reference model (`kernel_testkit::sse`) on
//! random streams cut at random points.

use super::*;

/// Builds a random stream of mostly well-formed lines (so events, ids and
/// retries do occur) with odd bytes and raw token soup mixed in.
fn random_stream(rng: &mut Rng) -> Vec<u8> {
    const NAMES: &[&[u8]] = &[
        b"data", b"data", b"data", b"data", b"event", b"id", b"id", b"retry", b"", b"Data", b"foo",
        b"dat", b"data ",
    ];
    const VALUES: &[&[u8]] = &[
        b"x",
        b"yz",
        b"x",
        b"yz",
        b" ",
        b"0",
        b"42",
        b"42",
        b"7a",
        b"\0",
        b"\xFF",
        b"\xC3",
        b"\xC3\xA9",
        b"\xF0\x9F\x98\x80",
        b":",
        b"\xEF\xBB\xBF",
        b"\r",
        b"\n",
    ];
    const EOLS: &[&[u8]] = &[b"\n", b"\n", b"\r", b"\r\n"];
    let mut out = Vec::new();
    if rng.below(4) == 0 {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    for _ in 0..rng.below(20) {
        match rng.below(12) {
            0..=2 => out.extend_from_slice(EOLS[rng.below(EOLS.len())]),
            3 => {
                for _ in 0..1 + rng.below(3) {
                    out.extend_from_slice(VALUES[rng.below(VALUES.len())]);
                }
            }
            _ => {
                out.extend_from_slice(NAMES[rng.below(NAMES.len())]);
                if rng.below(6) != 0 {
                    out.push(b':');
                    if rng.below(2) == 0 {
                        out.push(b' ');
                    }
                }
                for _ in 0..rng.below(3) {
                    // Mostly printable values; odd bytes now and then.
                    let pool = if rng.below(4) == 0 { VALUES.len() } else { 7 };
                    out.extend_from_slice(VALUES[rng.below(pool)]);
                }
                out.extend_from_slice(EOLS[rng.below(EOLS.len())]);
            }
        }
    }
    out
}

#[test]
fn differential_against_reference_model() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for iteration in 0..20_000 {
        let input = random_stream(&mut rng);
        let max = if rng.below(3) == 0 {
            4 + rng.below(20)
        } else {
            usize::MAX
        };
        let expected = reference(&input, max);
        let cuts = random_cuts(&mut rng, input.len());
        let api = Api::Mixed(rng.next());
        let got = run(&input, &cuts, Some(max), api);
        assert_eq!(
            got,
            expected,
            "iteration {iteration}: input {:?} max {max} cuts {cuts:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

#[test]
fn reference_model_agrees_with_the_table() {
    for case in cases() {
        let got = reference(&case.input, case.max.unwrap_or(usize::MAX));
        let expected = (case.expect.clone(), case.last_id.to_owned(), case.retry);
        assert_eq!(got, expected, "case {:?}", case.name);
    }
}

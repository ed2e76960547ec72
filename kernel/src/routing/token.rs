//! A browser's token: the `jwt` of its `cdp_ws_url`, read without parsing
//! the whole URL.

use std::borrow::Cow;

/// The `jwt` query parameter of a URL (a browser's `cdp_ws_url`), decoded
/// as `Url::query_pairs` decodes a well-formed URL's, from the query alone
/// (the rest of the URL is not validated): it runs on every browser an
/// answer carries, and parsing the whole URL cost more than the rest of the
/// route's upkeep. As a URL parser does, it first trims leading and
/// trailing spaces and control characters and removes tabs and line
/// breaks. A pair without escapes is borrowed as it is.
pub(crate) fn jwt_of(url: &str) -> Option<Cow<'_, str>> {
    let url = url.trim_matches(|c: char| c <= ' ');
    if memchr::memchr3(b'\t', b'\n', b'\r', url.as_bytes()).is_some() {
        let url: String = url
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        return query_jwt(&url).map(|jwt| Cow::Owned(jwt.into_owned()));
    }
    query_jwt(url)
}

/// [`jwt_of`] on a URL without tabs or line breaks. The first pair named
/// `jwt` decides. Searched with `memchr`, and only that pair's value is
/// checked for escapes: `str::split` and a byte loop over every pair cost
/// more than the rest of learning a route.
fn query_jwt(url: &str) -> Option<Cow<'_, str>> {
    let bytes = url.as_bytes();
    let end = memchr::memchr(b'#', bytes).unwrap_or(bytes.len());
    let start = memchr::memchr(b'?', &bytes[..end])? + 1;
    let mut rest = &url[start..end];
    loop {
        let (pair, next) = match memchr::memchr(b'&', rest.as_bytes()) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if let Some(jwt) = jwt_pair(pair) {
            return (!jwt.is_empty()).then_some(jwt);
        }
        rest = next?;
    }
}

/// The value of `pair` if its name, decoded, is `jwt`; borrowed when it has
/// no escapes.
fn jwt_pair(pair: &str) -> Option<Cow<'_, str>> {
    let escaped = |s: &str| memchr::memchr2(b'%', b'+', s.as_bytes()).is_some();
    let decoded = || form_urlencoded::parse(pair.as_bytes()).next();
    let (name, value) = pair.split_at(memchr::memchr(b'=', pair.as_bytes()).unwrap_or(pair.len()));
    if escaped(name) {
        let (name, value) = decoded()?;
        return (name == "jwt").then_some(value);
    }
    if name != "jwt" {
        return None;
    }
    let value = value.strip_prefix('=').unwrap_or(value);
    if escaped(value) {
        return decoded().map(|(_, value)| value);
    }
    Some(Cow::Borrowed(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_the_query_alone() {
        assert_eq!(
            jwt_of("wss://h/cdp?a=1&jwt=eyJ.x.y").as_deref(),
            Some("eyJ.x.y")
        );
        assert_eq!(jwt_of("wss://h/cdp?jwt="), None);
        assert_eq!(jwt_of("wss://h/cdp"), None);
        // The rest of the URL is not validated, with or without a tab.
        assert_eq!(jwt_of("wss://h:99999/cdp?jwt=ab").as_deref(), Some("ab"));
        assert_eq!(jwt_of("wss://h:99999/cdp?jwt=a\tb").as_deref(), Some("ab"));
        // A `?` in the fragment starts no query.
        assert_eq!(jwt_of("wss://h/cdp#x?jwt=t"), None);
        assert!(reqwest::Url::parse("wss://h/cdp#x?jwt=t")
            .unwrap()
            .query()
            .is_none());
        // Decoded as `Url::query_pairs` decodes, a fragment left out.
        for (url, jwt) in [
            ("wss://h/cdp?jwt=a%2Bb+c&x=1", "a+b c"),
            ("wss://h/cdp?x=1&jwt=a%2Bb%20c#frag", "a+b c"),
            ("wss://h/cdp?jwt=a%2bb c", "a+b c"),
            ("wss://h/cdp?%6Awt=t&jwt=u", "t"),
            (
                "wss://h/cdp?jw=x&jwtx=y&&jwt=eyJ.a-b_c.d=#jwt=no",
                "eyJ.a-b_c.d=",
            ),
            ("wss://h/cdp?x&jwt", ""),
            ("wss://h/cdp?jwt=a\tb\n", "ab"),
            ("wss://h/cd\r\np?j\twt=ab#\n", "ab"),
            (" \u{1}wss://h/cdp?jwt=ab \u{7f}\u{0} ", "ab \u{7f}"),
            ("wss://h/cdp?jwt=ab \n", "ab"),
        ] {
            let parsed = reqwest::Url::parse(url).unwrap();
            let expected = parsed.query_pairs().find(|(n, _)| n == "jwt").unwrap().1;
            assert_eq!(expected, jwt, "{url}");
            let expected = (!expected.is_empty()).then_some(&*expected);
            assert_eq!(jwt_of(url).as_deref(), expected, "{url}");
        }
    }

    /// `jwt_of` against `Url::query_pairs` on random queries: pairs made
    /// of names and value pieces that matter (escaped and plain `jwt`,
    /// separators, escapes, a fragment).
    #[test]
    fn jwt_of_agrees_with_a_url_parser_on_random_queries() {
        const NAMES: &[&str] = &["jwt", "j%77t", "%6Awt", "jwt+", "jw", "x", "", "jwt=", "#"];
        const PIECES: &[&str] = &[
            "a",
            "%2B",
            "%2b",
            "+",
            "%",
            "%4",
            " ",
            "=",
            "eyJ.x-y_z",
            "#j",
            "?",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut compared = 0;
        for _ in 0..20_000 {
            let pairs: Vec<String> = (0..1 + next(4))
                .map(|_| {
                    let value: String = (0..next(4)).map(|_| PIECES[next(PIECES.len())]).collect();
                    match next(3) {
                        0 => NAMES[next(NAMES.len())].to_string(),
                        _ => format!("{}={value}", NAMES[next(NAMES.len())]),
                    }
                })
                .collect();
            let url = format!("wss://h/cdp?{}", pairs.join("&"));
            let Ok(parsed) = reqwest::Url::parse(&url) else {
                continue;
            };
            compared += 1;
            let expected = parsed
                .query_pairs()
                .find(|(n, _)| n == "jwt")
                .map(|(_, v)| v.into_owned())
                .filter(|v| !v.is_empty());
            assert_eq!(jwt_of(&url).map(Cow::into_owned), expected, "{url}");
        }
        assert!(compared > 10_000, "{compared}");
    }
}

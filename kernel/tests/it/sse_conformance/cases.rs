//! The conformance table: each case an input and what the standard says
//! it dispatches.

use super::*;

pub(super) fn cases() -> Vec<Case> {
    let long = "x".repeat(2048);
    let big_data = "y".repeat(100_000);
    vec![
        // --- Byte order mark (format-bom, format-bom-2) ---
        case(
            "bom stripped once; a BOM later is part of a field name",
            b"\xEF\xBB\xBFdata:1\n\n\xEF\xBB\xBFdata:2\n\ndata:3\n\n",
            vec![msg("1"), msg("3")],
        ),
        case(
            "double bom: only the first is stripped",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata:1\n\ndata:2\n\ndata:3\n\n",
            vec![msg("2"), msg("3")],
        ),
        case("partial bom is content", b"\xEF\xBBdata: x\n\ndata: y\n\n", vec![msg("y")]),
        case("one bom byte is content", b"\xEFdata: x\n\ndata: y\n\n", vec![msg("y")]),
        case("bom then blank line", b"\xEF\xBB\xBF\ndata: x\n\n", vec![msg("x")]),
        case("bom then comment", b"\xEF\xBB\xBF: hi\ndata: x\n\n", vec![msg("x")]),
        case("bom only", b"\xEF\xBB\xBF", vec![]),
        case("empty stream", b"", vec![]),
        case("bom with CR line ends", b"\xEF\xBB\xBFdata: x\r\r", vec![msg("x")]),
        // --- Line ends (format-newlines) ---
        case(
            "newline fest",
            b"data:test\r\ndata\ndata:test\r\n\r\n",
            vec![msg("test\n\ntest")],
        ),
        case("LF", b"data: a\ndata: b\n\ndata: c\n\n", vec![msg("a\nb"), msg("c")]),
        case("CR", b"data: a\rdata: b\r\rdata: c\r\r", vec![msg("a\nb"), msg("c")]),
        case(
            "CRLF",
            b"data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n",
            vec![msg("a\nb"), msg("c")],
        ),
        case(
            "mixed line ends",
            b"data: a\r\n\rdata: b\n\r\ndata: c\r\n\n",
            vec![msg("a"), msg("b"), msg("c")],
        ),
        case("CR CRLF is two line ends", b"data: a\r\r\ndata: b\n\n", vec![msg("a"), msg("b")]),
        case("LF CR is two line ends", b"data: a\n\rdata: b\n\n", vec![msg("a"), msg("b")]),
        case(
            "CRLF split across chunks counts once (random splits hit it)",
            b"data: a\r\n\r\ndata: b\r\n\r\n",
            vec![msg("a"), msg("b")],
        ),
        case("CR at end of stream ends the line only", b"data: a\r", vec![]),
        // --- Comments (format-comments) ---
        case(
            "comment fest",
            format!("data:1\r:\0\n:\r\ndata:2\n:{long}\rdata:3\n:data:fail\r:{long}\ndata:4\n\n"),
            vec![msg("1\n2\n3\n4")],
        ),
        case("keepalive-only stream", b": keepalive\n\n: ping\r\n\r\n:\n\n:\r\r", vec![]),
        case("comment with invalid UTF-8 is ignored", b": \xFF\xFE\ndata: ok\n\n", vec![msg("ok")]),
        case("comment between data lines", b"data: a\n: c\ndata: b\n\n", vec![msg("a\nb")]),
        // --- Field parsing (format-field-parsing, format-field-unknown) ---
        case(
            "field parsing",
            b"data:\0\ndata:  2\rData:1\ndata\0:2\ndata:1\r\0data:4\nda-ta:3\rdata_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
            vec![msg("\0\n 2\n1\n3\n\n4")],
        ),
        case(
            "unknown fields and parsing fun",
            b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\ndata:test\n\n",
            vec![msg("test\n\ntest")],
        ),
        case(
            "data field parsing (format-field-data)",
            b"data:\n\ndata\ndata\n\ndata:test\n\n",
            vec![msg(""), msg("\n"), msg("test")],
        ),
        case("field without colon: data", b"data\n\n", vec![msg("")]),
        case("field without colon: event resets type", b"event\ndata: x\n\n", vec![msg("x")]),
        case("colon in value kept", b"data: a:b: c\n\n", vec![msg("a:b: c")]),
        case("null character in data (format-null-character)", b"data:\0\n\n", vec![msg("\0")]),
        case("UTF-8 data (format-utf-8)", b"data:ok\xE2\x80\xA6\n\n", vec![msg("ok\u{2026}")]),
        case(
            "4-byte UTF-8 (random splits cut it)",
            "data: \u{1F600}\u{e9}\nevent: \u{1F680}\n\n".as_bytes(),
            vec![typed("\u{1F680}", "\u{1F600}\u{e9}")],
        ),
        // --- Leading space (format-leading-space) ---
        case(
            "leading space",
            b"data:\ttest\rdata: \ndata:test\n\n",
            vec![msg("\ttest\n\ntest")],
        ),
        case("only one leading space stripped", b"data:  x\n\n", vec![msg(" x")]),
        case("no space needed", b"data:x\n\n", vec![msg("x")]),
        case("trailing spaces kept", b"data: x  \n\n", vec![msg("x  ")]),
        case(
            "one space stripped from event and id too",
            b"event:  t\nid:  7\ndata: x\n\n",
            vec![typed(" t", "x").id(" 7")],
        )
        .last_id(" 7"),
        // --- Event type (format-field-event, format-field-event-empty) ---
        case(
            "event type, reset after dispatch",
            b"event: foo\ndata: bar\n\ndata: baz\n\n",
            vec![typed("foo", "bar"), msg("baz")],
        ),
        case("empty event type is message", b"event: \ndata:data\n\n", vec![msg("data")]),
        case("last event field wins", b"event: a\nevent: b\ndata: x\n\n", vec![typed("b", "x")]),
        case(
            "event type reset by a block without data",
            b"event: foo\n\ndata: x\n\n",
            vec![msg("x")],
        ),
        case("event name is case sensitive", b"Event: foo\ndata: x\n\n", vec![msg("x")]),
        // --- Dispatch rules ---
        case("block without data is not dispatched", b"event: e\nid: 1\n\n", vec![]).last_id("1"),
        case(
            "unterminated final block discarded (format-data-before-final-empty-line)",
            b"retry:1000\ndata:test1\n\nid:test\ndata:test2",
            vec![msg("test1").retry(1000)],
        )
        .retry(1000),
        case(
            "final block ended by one line end only is discarded",
            b"data: a\n\ndata: b\n",
            vec![msg("a")],
        ),
        case("data without any line end", b"data: a", vec![]),
        case("several blank lines", b"\n\n\ndata: a\n\n\n\n", vec![msg("a")]),
        // --- id (format-field-id*, format-field-id-null) ---
        case(
            "id persists",
            b"id: 1\ndata: 1\n\ndata:2\n\n",
            vec![msg("1").id("1"), msg("2").id("1")],
        )
        .last_id("1"),
        case(
            "id changes and persists",
            b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
            vec![msg("1").id("1"), msg("2").id("2"), msg("3").id("2")],
        )
        .last_id("2"),
        case(
            "id reset by empty id",
            b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
            vec![msg("1").id("1"), msg("2"), msg("3")],
        ),
        case(
            "id reset by id without colon",
            b"id: 3\ndata: a\n\nid\ndata: b\n\n",
            vec![msg("a").id("3"), msg("b")],
        ),
        case(
            "id containing NULL is ignored",
            b"id: 1\ndata: a\n\nid: a\0b\ndata: b\n\nid: \0\ndata: c\n\n",
            vec![msg("a").id("1"), msg("b").id("1"), msg("c").id("1")],
        )
        .last_id("1"),
        case("id 0 is a valid id", b"id: 0\ndata: x\n\n", vec![msg("x").id("0")]).last_id("0"),
        case(
            "id in a block without data still updates the last event id",
            b"id: 5\n\ndata: x\n\n",
            vec![msg("x").id("5")],
        )
        .last_id("5"),
        case(
            "id applies to its own block's event",
            b"data: x\nid: 6\n\n",
            vec![msg("x").id("6")],
        )
        .last_id("6"),
        case(
            "id of an unterminated final block is not applied",
            b"id: 1\ndata: a\n\nid: 2\ndata: b\n",
            vec![msg("a").id("1")],
        )
        .last_id("1"),
        // --- retry (format-field-retry, format-field-retry-bogus, -empty) ---
        case("retry", b"retry: 3000\ndata: x\n\n", vec![msg("x").retry(3000)]).retry(3000),
        case(
            "retry with leading zeros is decimal",
            b"retry:03000\ndata:x\n\n",
            vec![msg("x").retry(3000)],
        )
        .retry(3000),
        case(
            "bogus retry ignored, earlier one kept",
            b"retry:3000\nretry:1000x\ndata:x\n\n",
            vec![msg("x").retry(3000)],
        )
        .retry(3000),
        case("retry: 12a ignored", b"retry: 12a\ndata: x\n\n", vec![msg("x")]),
        case("retry: empty ignored", b"retry: \ndata: x\n\n", vec![msg("x")]),
        case("retry without colon ignored", b"retry\ndata:test\n\n", vec![msg("test")]),
        case("retry: -1 ignored", b"retry: -1\ndata: x\n\n", vec![msg("x")]),
        case("retry: 1.5 ignored", b"retry: 1.5\ndata: x\n\n", vec![msg("x")]),
        case("retry with two spaces ignored", b"retry:  5\ndata: x\n\n", vec![msg("x")]),
        case("retry: 0", b"retry: 0\ndata: x\n\n", vec![msg("x").retry(0)]).retry(0),
        case(
            "huge retry saturates",
            b"retry: 99999999999999999999999\ndata: x\n\n",
            vec![msg("x").retry(u64::MAX)],
        )
        .retry(u64::MAX),
        case(
            "retry in a block without data still applies",
            b"retry: 500\n\ndata: x\n\n",
            vec![msg("x").retry(500)],
        )
        .retry(500),
        case(
            "retry applies as soon as parsed, even in an unterminated block",
            b"data: x\n\nretry: 7\n",
            vec![msg("x")],
        )
        .retry(7),
        // --- Large events ---
        case(
            "100 kB data line",
            format!("data: {big_data}\n\ndata: after\n\n"),
            vec![msg(&big_data), msg("after")],
        ),
        // --- Size limit ---
        case(
            "event too large: single line",
            b"data: 0123456789abcdef\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok")],
        )
        .max(16),
        case(
            "event too large: grows over several lines",
            b"data: 12345\ndata: 67890\ndata: zz\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok")],
        )
        .max(12),
        case("event exactly at the limit", b"data: 12345\n\n", vec![msg("12345")]).max(11),
        case(
            "long unknown field counts towards the limit",
            b"foo: 0123456789\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok")],
        )
        .max(8),
        case(
            "long comment does not count towards the limit",
            format!(": {long}\ndata: ok\n\n"),
            vec![msg("ok")],
        )
        .max(8),
        case(
            "too-large event: rest of its block skipped, ids before the error kept",
            b"id: 1\ndata: 0123456789abcdef\nid: 2\ndata: more\n\ndata: ok\n\n",
            vec![Out::TooLarge, msg("ok").id("1")],
        )
        .max(16)
        .last_id("1"),
        case(
            "too-large event whose line never ends",
            b"data: ok\n\ndata: 0123456789abcdef",
            vec![msg("ok"), Out::TooLarge],
        )
        .max(16),
        case("limit 0 rejects any field line", b"data\n\n: c\n\n", vec![Out::TooLarge]).max(0),
        // --- Invalid UTF-8 ---
        case(
            "invalid UTF-8 in data, then recovery",
            b"data: \xFF\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), msg("ok")],
        ),
        case(
            "invalid UTF-8 mid-block skips the block",
            b"data: a\ndata: \xC3\ndata: c\n\ndata: d\n\n",
            vec![Out::Utf8("data"), msg("d")],
        ),
        case(
            "invalid UTF-8 in event",
            b"event: \xC0\xAF\ndata: x\n\ndata: y\n\n",
            vec![Out::Utf8("event"), msg("y")],
        ),
        case(
            "invalid UTF-8 in id: id not applied",
            b"id: 1\n\nid: \xFF\ndata: x\n\ndata: y\n\n",
            vec![Out::Utf8("id"), msg("y").id("1")],
        )
        .last_id("1"),
        case(
            "id after the error in the same block is skipped",
            b"data: \xFF\nid: 10\n\ndata: e\n\n",
            vec![Out::Utf8("data"), msg("e")],
        ),
        case(
            "invalid UTF-8 in an unknown field or retry is ignored",
            b"f\xFFo: bar\nretry: \xFF\ndata: ok\n\n",
            vec![msg("ok")],
        ),
        case(
            "truncated multibyte sequence before line end",
            b"data: \xE2\x80\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), msg("ok")],
        ),
        case(
            "surrogate code point encoding rejected",
            b"data: \xED\xA0\x80\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), msg("ok")],
        ),
        case(
            "two errors in a row are reported once each",
            b"data: \xFF\n\ndata: \xFE\n\ndata: ok\n\n",
            vec![Out::Utf8("data"), Out::Utf8("data"), msg("ok")],
        ),
        // --- Kernel-like telemetry ---
        case(
            "telemetry with ids, event types and keepalives",
            b"retry: 1000\n\n: keepalive\n\nid: 1\nevent: log\ndata: {\"seq\":1}\n\n: keepalive\n\nid: 2\ndata: {\"seq\":2}\n\n",
            vec![
                typed("log", "{\"seq\":1}").id("1").retry(1000),
                msg("{\"seq\":2}").id("2").retry(1000),
            ],
        )
        .last_id("2")
        .retry(1000),
        // --- Fuzz regressions (inputs found by `cargo fuzz run sse_decoder`) ---
    ]
}

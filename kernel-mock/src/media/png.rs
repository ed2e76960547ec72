//! Generated RGB PNG screenshots: a light page, a coloured top bar, a few
//! grey "text" lines and a dark square at the mouse position.
//!
//! Scanlines are compressed with flate2 (fast level) as they are drawn, so
//! besides the output only one scanline and the compressor's window are
//! held, and a screenshot is the size a real one is (tens of KiB, not the
//! 6 MiB of an uncompressed 1920x1080 picture).

use std::fmt;
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;

/// What a screenshot shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Scene {
    /// Mouse position in viewport pixels (may lie outside the viewport).
    pub(crate) mouse: (i32, i32),
    /// Varies the colours, so different browsers get different pictures.
    pub(crate) seed: u64,
}

/// Why a screenshot region cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegionError(pub(crate) String);

impl fmt::Display for RegionError {
    /// Writes the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegionError {}

/// Largest side drawn; larger requests are clamped so memory stays bounded.
pub(crate) const MAX_SIDE: u32 = 8192;

/// Side of the square drawn at the mouse position.
const CURSOR_SIDE: i64 = 12;
/// Height of the coloured top bar.
const BAR_HEIGHT: i64 = 40;

/// The part of a full screenshot one PNG shows: its size and its offset in
/// the `full_w`x`full_h` picture. Checking a region ([`Window::region`]) is
/// separate from encoding ([`Window::png`]), so a caller can check under a
/// lock and encode after releasing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Width of the PNG.
    pub(crate) width: u32,
    /// Height of the PNG.
    pub(crate) height: u32,
    /// Width of the whole picture.
    full_w: u32,
    /// Height of the whole picture.
    full_h: u32,
    /// Left edge in the whole picture.
    x: u32,
    /// Top edge in the whole picture.
    y: u32,
}

impl Window {
    /// The whole `width`x`height` picture (each side clamped to `1..=MAX_SIDE`).
    pub(crate) fn full(width: u32, height: u32) -> Self {
        let (w, h) = (clamp_side(width), clamp_side(height));
        Self {
            width: w,
            height: h,
            full_w: w,
            full_h: h,
            x: 0,
            y: 0,
        }
    }

    /// The part of a `full_w`x`full_h` picture at `(x, y)` of size `w`x`h`,
    /// clamped to the picture; an error for a non-positive size or a region
    /// wholly outside it.
    pub(crate) fn region(
        full_w: u32,
        full_h: u32,
        x: i64,
        y: i64,
        w: i64,
        h: i64,
    ) -> Result<Self, RegionError> {
        if w <= 0 || h <= 0 {
            return Err(RegionError(format!(
                "region width and height must be positive (got {w}x{h})"
            )));
        }
        let (fw, fh) = (clamp_side(full_w), clamp_side(full_h));
        let (x0, x1) = (x.max(0), x.saturating_add(w).min(i64::from(fw)));
        let (y0, y1) = (y.max(0), y.saturating_add(h).min(i64::from(fh)));
        if x0 >= x1 || y0 >= y1 {
            return Err(RegionError(format!(
                "region {w}x{h} at ({x}, {y}) lies outside the {fw}x{fh} viewport"
            )));
        }
        // All four lie in 0..=MAX_SIDE here, so the conversions cannot fail.
        let to_u32 = |v: i64| u32::try_from(v).unwrap_or(0);
        Ok(Self {
            width: to_u32(x1 - x0),
            height: to_u32(y1 - y0),
            full_w: fw,
            full_h: fh,
            x: to_u32(x0),
            y: to_u32(y0),
        })
    }

    /// `(x, y, width, height)` of a window that is not the whole picture.
    pub(crate) fn clip(&self) -> Option<(u32, u32, u32, u32)> {
        let whole =
            self.x == 0 && self.y == 0 && self.width == self.full_w && self.height == self.full_h;
        (!whole).then_some((self.x, self.y, self.width, self.height))
    }

    /// This window of `scene` as a PNG.
    pub(crate) fn png(&self, scene: &Scene) -> Vec<u8> {
        encode(self, scene)
    }
}

/// Clamps a requested side to what a PNG may have and memory allows.
fn clamp_side(side: u32) -> u32 {
    side.clamp(1, MAX_SIDE)
}

/// Encodes `window` of `scene`.
fn encode(window: &Window, scene: &Scene) -> Vec<u8> {
    let (w, h) = (window.width, window.height);
    let (full_w, full_h) = (window.full_w, window.full_h);
    let (ox, oy) = (window.x, window.y);
    let row_len = 1 + 3 * w as usize;
    let mut out = Vec::with_capacity(64 * 1024);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");

    let start = begin_chunk(&mut out, b"IHDR");
    out.extend_from_slice(&w.to_be_bytes());
    out.extend_from_slice(&h.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    out.extend_from_slice(&[8, 2, 0, 0, 0]);
    end_chunk(&mut out, start);

    let palette = Palette::new(scene.seed);
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    let mut row = Vec::with_capacity(row_len);
    for y in 0..h {
        row.clear();
        row.push(0); // filter type None
        let py = i64::from(oy) + i64::from(y);
        for x in 0..w {
            let px = i64::from(ox) + i64::from(x);
            row.extend_from_slice(&pixel(px, py, full_w, full_h, scene, &palette));
        }
        // Writing to a Vec cannot fail.
        let _ = zlib.write_all(&row);
    }
    let data = zlib.finish().unwrap_or_default();
    let start = begin_chunk(&mut out, b"IDAT");
    out.extend_from_slice(&data);
    end_chunk(&mut out, start);

    let start = begin_chunk(&mut out, b"IEND");
    end_chunk(&mut out, start);
    out
}

/// The colours of one scene.
struct Palette {
    /// Page background.
    background: [u8; 3],
    /// Top bar.
    bar: [u8; 3],
    /// Grey text lines.
    text: [u8; 3],
    /// The mouse square.
    cursor: [u8; 3],
}

impl Palette {
    /// Derives the colours from the seed (light page, saturated bar).
    fn new(seed: u64) -> Self {
        let bits = |shift: u32| (seed >> shift) as u8 & 0x3f;
        Self {
            background: [0xf0 + (bits(0) & 0x0f), 0xf2, 0xf4],
            bar: [0x20 + bits(8), 0x50 + bits(16), 0xa0 + bits(24)],
            text: [0xc8, 0xcc, 0xd0],
            cursor: [0x18, 0x18, 0x18],
        }
    }
}

/// The colour at `(x, y)` of a `full_w`x`full_h` screenshot.
fn pixel(x: i64, y: i64, full_w: u32, full_h: u32, scene: &Scene, palette: &Palette) -> [u8; 3] {
    let (mx, my) = (i64::from(scene.mouse.0), i64::from(scene.mouse.1));
    if (mx..mx + CURSOR_SIDE).contains(&x) && (my..my + CURSOR_SIDE).contains(&y) {
        return palette.cursor;
    }
    let bar = BAR_HEIGHT.min(i64::from(full_h) / 4);
    if y < bar {
        return palette.bar;
    }
    // Grey 8-pixel lines every 24 pixels, over the left two thirds.
    let margin = 16;
    let in_line = (y - bar - margin) >= 0 && (y - bar - margin) % 24 < 8;
    if in_line && x >= margin && x < i64::from(full_w) * 2 / 3 {
        return palette.text;
    }
    palette.background
}

/// Starts a chunk: a length placeholder and the type. Returns where it starts.
fn begin_chunk(out: &mut Vec<u8>, kind: &[u8; 4]) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    start
}

/// Ends the chunk begun at `start`: patches its length and appends its CRC.
fn end_chunk(out: &mut Vec<u8>, start: usize) {
    let len = (out.len() - start - 8) as u32; // chunks stay far below 2^31
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    let crc = crc32(&out[start + 4..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// The CRC-32 PNG chunks use (ISO-HDLC).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Bit-at-a-time CRC-32, independent of the table above.
    fn slow_crc(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                let mask = (crc & 1).wrapping_neg();
                crc = (crc >> 1) ^ (0xedb8_8320 & mask);
            }
        }
        !crc
    }

    /// A decoded PNG: size and the inflated scanlines.
    pub(crate) struct Decoded {
        pub(crate) width: u32,
        pub(crate) height: u32,
        pub(crate) raw: Vec<u8>,
    }

    impl Decoded {
        /// The RGB value at `(x, y)`.
        pub(crate) fn rgb(&self, x: u32, y: u32) -> [u8; 3] {
            let row = (1 + 3 * self.width as usize) * y as usize;
            let i = row + 1 + 3 * x as usize;
            [self.raw[i], self.raw[i + 1], self.raw[i + 2]]
        }
    }

    /// Walks the chunks, checks every CRC and the zlib framing, inflates the
    /// picture and checks the scanline byte count.
    pub(crate) fn decode(png: &[u8]) -> Decoded {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut pos = 8;
        let mut kinds = Vec::new();
        let (mut width, mut height) = (0, 0);
        let mut zlib = Vec::new();
        while pos < png.len() {
            let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = png[pos + 4..pos + 8].try_into().unwrap();
            let data = &png[pos + 8..pos + 8 + len];
            let crc = u32::from_be_bytes(png[pos + 8 + len..pos + 12 + len].try_into().unwrap());
            assert_eq!(
                crc,
                slow_crc(&png[pos + 4..pos + 8 + len]),
                "CRC of {kind:?}"
            );
            match &kind {
                b"IHDR" => {
                    assert_eq!(len, 13);
                    width = u32::from_be_bytes(data[0..4].try_into().unwrap());
                    height = u32::from_be_bytes(data[4..8].try_into().unwrap());
                    assert_eq!(&data[8..], &[8, 2, 0, 0, 0]);
                }
                b"IDAT" => zlib.extend_from_slice(data),
                b"IEND" => assert_eq!(len, 0),
                other => panic!("unexpected chunk {other:?}"),
            }
            kinds.push(kind);
            pos += 12 + len;
        }
        assert_eq!(pos, png.len());
        assert_eq!(kinds.first(), Some(b"IHDR"));
        assert_eq!(kinds.last(), Some(b"IEND"));
        assert!(kinds[1..kinds.len() - 1].iter().all(|k| k == b"IDAT"));

        assert_eq!((u16::from(zlib[0]) << 8 | u16::from(zlib[1])) % 31, 0);
        assert_eq!(zlib[0] & 0x0f, 8, "deflate");
        // The decoder checks the deflate stream and its Adler-32 trailer.
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&zlib[..]), &mut raw)
            .expect("a valid zlib stream");

        let row = 1 + 3 * width as usize;
        assert_eq!(raw.len(), height as usize * row);
        assert!(raw.chunks(row).all(|r| r[0] == 0), "filter bytes");
        Decoded { width, height, raw }
    }

    /// A whole `width`x`height` screenshot.
    fn screenshot_png(width: u32, height: u32, scene: &Scene) -> Vec<u8> {
        Window::full(width, height).png(scene)
    }

    /// A region of a `full_w`x`full_h` screenshot.
    fn screenshot_png_region(
        full_w: u32,
        full_h: u32,
        x: i64,
        y: i64,
        w: i64,
        h: i64,
        scene: &Scene,
    ) -> Result<Vec<u8>, RegionError> {
        Window::region(full_w, full_h, x, y, w, h).map(|window| window.png(scene))
    }

    #[test]
    fn crc_known_answers() {
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(slow_crc(b"IEND"), 0xae42_6082);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn full_hd_png_is_valid() {
        let scene = Scene {
            mouse: (100, 200),
            seed: 7,
        };
        let png = screenshot_png(1920, 1080, &scene);
        let d = decode(&png);
        assert_eq!((d.width, d.height), (1920, 1080));
        assert_eq!(d.rgb(105, 205), [0x18, 0x18, 0x18]);
        assert_ne!(d.rgb(0, 0), d.rgb(1919, 1079), "bar differs from page");
        // Compressed like a real screenshot: a mostly flat page is small.
        assert!(png.len() < 256 * 1024, "{} bytes", png.len());
    }

    #[test]
    fn tiny_and_odd_sizes_are_valid() {
        for (w, h) in [(1, 1), (3, 7), (255, 1), (1, 300)] {
            let d = decode(&screenshot_png(w, h, &Scene::default()));
            assert_eq!((d.width, d.height), (w, h));
        }
        let d = decode(&screenshot_png(0, 0, &Scene::default()));
        assert_eq!((d.width, d.height), (1, 1));
    }

    #[test]
    fn wide_rows_and_clamped_sides() {
        let d = decode(&screenshot_png(8000, 3, &Scene::default()));
        assert_eq!(d.raw.len(), 3 * 24_001);
        // Sides beyond MAX_SIDE are clamped.
        let d = decode(&screenshot_png(MAX_SIDE + 1, 1, &Scene::default()));
        assert_eq!(d.width, MAX_SIDE);
    }

    #[test]
    fn mouse_position_changes_the_picture() {
        let a = screenshot_png(
            320,
            240,
            &Scene {
                mouse: (10, 60),
                seed: 1,
            },
        );
        let b = screenshot_png(
            320,
            240,
            &Scene {
                mouse: (200, 100),
                seed: 1,
            },
        );
        assert_ne!(a, b);
        let (da, db) = (decode(&a), decode(&b));
        assert_eq!(da.rgb(12, 62), [0x18, 0x18, 0x18]);
        assert_ne!(db.rgb(12, 62), [0x18, 0x18, 0x18]);
    }

    #[test]
    fn region_crops_and_clamps() {
        let scene = Scene {
            mouse: (50, 50),
            seed: 3,
        };
        let full = decode(&screenshot_png(400, 300, &scene));
        let part = decode(&screenshot_png_region(400, 300, 40, 45, 30, 20, &scene).unwrap());
        assert_eq!((part.width, part.height), (30, 20));
        for (x, y) in [(0, 0), (12, 7), (29, 19)] {
            assert_eq!(part.rgb(x, y), full.rgb(40 + x, 45 + y));
        }
        // Overhanging the bottom-right and the top-left corners.
        let d = decode(&screenshot_png_region(400, 300, 390, 290, 50, 50, &scene).unwrap());
        assert_eq!((d.width, d.height), (10, 10));
        let d = decode(&screenshot_png_region(400, 300, -5, -10, 20, 20, &scene).unwrap());
        assert_eq!((d.width, d.height), (15, 10));
        assert_eq!(d.rgb(0, 0), full.rgb(0, 0));
        let d = decode(&screenshot_png_region(400, 300, 0, 0, i64::MAX, i64::MAX, &scene).unwrap());
        assert_eq!((d.width, d.height), (400, 300));
    }

    #[test]
    fn bad_regions_are_errors() {
        let scene = Scene::default();
        for (x, y, w, h) in [
            (0, 0, 0, 10),
            (0, 0, 10, 0),
            (0, 0, -1, 10),
            (400, 0, 10, 10),
            (0, 300, 10, 10),
            (-20, 0, 20, 10),
            (i64::MIN, i64::MIN, 5, 5),
            (i64::MAX, 0, i64::MAX, 1),
        ] {
            let err = screenshot_png_region(400, 300, x, y, w, h, &scene).unwrap_err();
            assert!(err.0.contains("region"), "{err}");
        }
    }
}

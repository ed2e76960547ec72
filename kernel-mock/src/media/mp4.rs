//! A small, structurally valid MP4 (ISO-BMFF) replay: one H.264 video track
//! with a single mid-grey IDR frame held for the whole duration.
//!
//! The frame is real H.264 (constrained baseline, CAVLC): every macroblock is
//! `I_16x16` with DC prediction and no residual, so it decodes to flat grey
//! at one byte per macroblock, and players and probes accept the file.

/// Movie and media timescale: milliseconds.
const TIMESCALE: u32 = 1000;

/// An MP4 of a `width`x`height` video lasting `duration_ms` milliseconds.
pub(crate) fn replay_mp4(width: u16, height: u16, duration_ms: u32) -> Vec<u8> {
    let sps = nal(0x67, &sps_rbsp(width, height));
    let pps = nal(0x68, &pps_rbsp());
    let frame = nal(0x65, &idr_slice_rbsp(width, height));
    // One sample: the IDR slice NAL unit with a 4-byte length prefix.
    let mut sample = Vec::with_capacity(frame.len() + 4);
    sample.extend_from_slice(&(frame.len() as u32).to_be_bytes());
    sample.extend_from_slice(&frame);

    let mut out = Vec::with_capacity(1024 + sample.len());
    write_box(&mut out, b"ftyp", |b| {
        b.extend_from_slice(b"isom");
        b.extend_from_slice(&0x200u32.to_be_bytes()); // minor version
        for brand in [b"isom", b"iso2", b"mp41"] {
            b.extend_from_slice(brand);
        }
    });

    let mut stco_at = 0;
    write_box(&mut out, b"moov", |b| {
        write_full_box(b, b"mvhd", 0, 0, |b| {
            put_u32s(b, &[0, 0, TIMESCALE, duration_ms]); // created, modified
            put_u32s(b, &[0x0001_0000]); // rate 1.0
            b.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
            b.extend_from_slice(&[0; 10]); // reserved
            put_matrix(b);
            put_u32s(b, &[0; 6]); // pre_defined
            put_u32s(b, &[2]); // next track ID
        });
        write_box(b, b"trak", |b| {
            // Flags: enabled, in movie.
            write_full_box(b, b"tkhd", 0, 3, |b| {
                put_u32s(b, &[0, 0, 1, 0, duration_ms]); // created, modified, ID, reserved
                put_u32s(b, &[0, 0]); // reserved
                put_u16s(b, &[0, 0, 0, 0]); // layer, alternate group, volume, reserved
                put_matrix(b);
                put_u32s(b, &[u32::from(width) << 16, u32::from(height) << 16]);
            });
            write_box(b, b"mdia", |b| {
                write_full_box(b, b"mdhd", 0, 0, |b| {
                    put_u32s(b, &[0, 0, TIMESCALE, duration_ms]);
                    put_u16s(b, &[0x55c4, 0]); // language "und", pre_defined
                });
                write_full_box(b, b"hdlr", 0, 0, |b| {
                    put_u32s(b, &[0]); // pre_defined
                    b.extend_from_slice(b"vide");
                    put_u32s(b, &[0; 3]);
                    b.extend_from_slice(b"VideoHandler\0");
                });
                write_box(b, b"minf", |b| {
                    write_full_box(b, b"vmhd", 0, 1, |b| put_u16s(b, &[0; 4]));
                    write_box(b, b"dinf", |b| {
                        write_full_box(b, b"dref", 0, 0, |b| {
                            put_u32s(b, &[1]);
                            // Flag 1: the media is in this file.
                            write_full_box(b, b"url ", 0, 1, |_| {});
                        });
                    });
                    write_box(b, b"stbl", |b| {
                        write_full_box(b, b"stsd", 0, 0, |b| {
                            put_u32s(b, &[1]);
                            write_avc1(b, width, height, &sps, &pps);
                        });
                        write_full_box(b, b"stts", 0, 0, |b| put_u32s(b, &[1, 1, duration_ms]));
                        write_full_box(b, b"stsc", 0, 0, |b| put_u32s(b, &[1, 1, 1, 1]));
                        write_full_box(b, b"stsz", 0, 0, |b| {
                            put_u32s(b, &[0, 1, sample.len() as u32]);
                        });
                        write_full_box(b, b"stco", 0, 0, |b| {
                            put_u32s(b, &[1]);
                            stco_at = b.len();
                            put_u32s(b, &[0]); // patched once mdat's place is known
                        });
                    });
                });
            });
        });
    });

    // The sample starts right after mdat's 8-byte header.
    let offset = (out.len() + 8) as u32;
    out[stco_at..stco_at + 4].copy_from_slice(&offset.to_be_bytes());
    write_box(&mut out, b"mdat", |b| b.extend_from_slice(&sample));
    out
}

/// Appends a box: 32-bit size, type, then what `body` writes.
fn write_box(out: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    body(out);
    let size = (out.len() - start) as u32; // replays stay far below 4 GiB
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// Appends a full box: a box whose body starts with version and 24-bit flags.
fn write_full_box(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    write_box(out, kind, |b| {
        b.push(version);
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        body(b);
    });
}

/// Appends big-endian 32-bit values.
fn put_u32s(out: &mut Vec<u8>, values: &[u32]) {
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends big-endian 16-bit values.
fn put_u16s(out: &mut Vec<u8>, values: &[u16]) {
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

/// Appends the identity transformation matrix.
fn put_matrix(out: &mut Vec<u8>) {
    put_u32s(
        out,
        &[0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000],
    );
}

/// Appends the `avc1` sample entry with its `avcC` configuration.
fn write_avc1(out: &mut Vec<u8>, width: u16, height: u16, sps: &[u8], pps: &[u8]) {
    write_box(out, b"avc1", |b| {
        b.extend_from_slice(&[0; 6]); // reserved
        put_u16s(b, &[1, 0, 0]); // data reference index, pre_defined, reserved
        put_u32s(b, &[0; 3]); // pre_defined
        put_u16s(b, &[width, height]);
        put_u32s(b, &[0x0048_0000, 0x0048_0000, 0]); // 72 dpi, 72 dpi, reserved
        put_u16s(b, &[1]); // frame count
        b.extend_from_slice(&[0; 32]); // compressor name
        put_u16s(b, &[0x0018, 0xffff]); // depth, pre_defined -1
        write_box(b, b"avcC", |b| {
            // Version 1, then profile, compatibility and level as in the SPS.
            b.extend_from_slice(&[1, sps[1], sps[2], sps[3]]);
            b.push(0xff); // 4-byte NAL lengths
            b.push(0xe1); // one SPS
            put_u16s(b, &[sps.len() as u16]);
            b.extend_from_slice(sps);
            b.push(1); // one PPS
            put_u16s(b, &[pps.len() as u16]);
            b.extend_from_slice(pps);
        });
    });
}

/// Macroblock columns and rows for a size (at least one each).
fn macroblocks(width: u16, height: u16) -> (u32, u32) {
    let mbs = |side: u16| u32::from(side).div_ceil(16).max(1);
    (mbs(width), mbs(height))
}

/// Sequence parameter set: constrained baseline, cropped to the size.
fn sps_rbsp(width: u16, height: u16) -> Vec<u8> {
    let (mbw, mbh) = macroblocks(width, height);
    // Cropping is in 2-pixel units for 4:2:0 and must leave at least one unit.
    let crop = |mbs: u32, side: u16| (mbs * 16 - u32::from(side).max(2)) / 2;
    let (crop_right, crop_bottom) = (crop(mbw, width), crop(mbh, height));
    let level = if mbw * mbh <= 1620 { 30 } else { 40 };
    let mut w = BitWriter::default();
    w.bits(66, 8); // profile_idc: baseline
    w.bits(0xc0, 8); // constraint_set0 and set1: constrained baseline
    w.bits(level, 8);
    w.ue(0); // seq_parameter_set_id
    w.ue(0); // log2_max_frame_num_minus4
    w.ue(2); // pic_order_cnt_type: output order is decoding order
    w.ue(1); // max_num_ref_frames
    w.bit(false); // gaps_in_frame_num_value_allowed_flag
    w.ue(mbw - 1);
    w.ue(mbh - 1);
    w.bit(true); // frame_mbs_only_flag
    w.bit(true); // direct_8x8_inference_flag
    let cropped = crop_right > 0 || crop_bottom > 0;
    w.bit(cropped);
    if cropped {
        w.ue(0);
        w.ue(crop_right);
        w.ue(0);
        w.ue(crop_bottom);
    }
    w.bit(false); // vui_parameters_present_flag
    w.finish()
}

/// Picture parameter set: CAVLC, one slice group, deblocking control present.
fn pps_rbsp() -> Vec<u8> {
    let mut w = BitWriter::default();
    w.ue(0); // pic_parameter_set_id
    w.ue(0); // seq_parameter_set_id
    w.bit(false); // entropy_coding_mode_flag: CAVLC
    w.bit(false); // bottom_field_pic_order_in_frame_present_flag
    w.ue(0); // num_slice_groups_minus1
    w.ue(0); // num_ref_idx_l0_default_active_minus1
    w.ue(0); // num_ref_idx_l1_default_active_minus1
    w.bit(false); // weighted_pred_flag
    w.bits(0, 2); // weighted_bipred_idc
    w.ue(0); // pic_init_qp_minus26 (se(0) codes as ue(0))
    w.ue(0); // pic_init_qs_minus26
    w.ue(0); // chroma_qp_index_offset
    w.bit(true); // deblocking_filter_control_present_flag
    w.bit(false); // constrained_intra_pred_flag
    w.bit(false); // redundant_pic_cnt_present_flag
    w.finish()
}

/// One IDR I-slice covering the picture, every macroblock flat grey.
fn idr_slice_rbsp(width: u16, height: u16) -> Vec<u8> {
    let (mbw, mbh) = macroblocks(width, height);
    let mut w = BitWriter::default();
    w.ue(0); // first_mb_in_slice
    w.ue(7); // slice_type: I, and all slices of the picture are I
    w.ue(0); // pic_parameter_set_id
    w.bits(0, 4); // frame_num
    w.ue(0); // idr_pic_id
    w.bit(false); // no_output_of_prior_pics_flag
    w.bit(false); // long_term_reference_flag
    w.ue(0); // slice_qp_delta
    w.ue(1); // disable_deblocking_filter_idc: off, nothing to smooth
    for _ in 0..mbw * mbh {
        w.ue(3); // mb_type I_16x16_2_0_0: DC prediction, no coded blocks
        w.ue(0); // intra_chroma_pred_mode: DC
        w.ue(0); // mb_qp_delta
        w.bit(true); // coeff_token of the luma DC block: no coefficients
    }
    w.finish()
}

/// Wraps an RBSP as a NAL unit, inserting emulation-prevention bytes.
fn nal(header: u8, rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64 + 1);
    out.push(header);
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// MSB-first bit writer with Exp-Golomb codes.
#[derive(Default)]
struct BitWriter {
    /// Completed bytes.
    bytes: Vec<u8>,
    /// Bits of the byte being filled, in its low bits.
    current: u8,
    /// How many bits `current` holds.
    used: u8,
}

impl BitWriter {
    /// Appends one bit.
    fn bit(&mut self, set: bool) {
        self.current = (self.current << 1) | u8::from(set);
        self.used += 1;
        if self.used == 8 {
            self.bytes.push(self.current);
            self.current = 0;
            self.used = 0;
        }
    }

    /// Appends the low `count` bits of `value`, most significant first.
    fn bits(&mut self, value: u64, count: u32) {
        for i in (0..count).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }

    /// Appends `value` as unsigned Exp-Golomb, `ue(v)`.
    fn ue(&mut self, value: u32) {
        let coded = u64::from(value) + 1;
        let len = 64 - coded.leading_zeros();
        self.bits(0, len - 1);
        self.bits(coded, len);
    }

    /// Appends the RBSP stop bit and zero padding, returning the bytes.
    fn finish(mut self) -> Vec<u8> {
        self.bit(true);
        while self.used != 0 {
            self.bit(false);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One parsed box: type, absolute start, header length and total size.
    #[derive(Debug, Clone)]
    struct Parsed {
        kind: [u8; 4],
        start: usize,
        size: usize,
        children: Vec<Parsed>,
    }

    impl Parsed {
        /// The body (after the 8-byte header).
        fn body<'a>(&self, file: &'a [u8]) -> &'a [u8] {
            &file[self.start + 8..self.start + self.size]
        }

        /// The first descendant of this type, depth first.
        fn find(&self, kind: &[u8; 4]) -> Option<&Parsed> {
            self.children.iter().find_map(|c| {
                if &c.kind == kind {
                    Some(c)
                } else {
                    c.find(kind)
                }
            })
        }
    }

    /// Bytes before the children of a box that holds boxes, or `None` for a leaf.
    fn children_offset(kind: &[u8; 4]) -> Option<usize> {
        match kind {
            b"moov" | b"trak" | b"mdia" | b"minf" | b"dinf" | b"stbl" => Some(0),
            b"dref" | b"stsd" => Some(8), // version, flags, entry count
            b"avc1" => Some(78),          // visual sample entry fields
            _ => None,
        }
    }

    /// Parses `file[start..end]` as consecutive boxes, asserting the sizes tile it.
    fn walk(file: &[u8], start: usize, end: usize) -> Vec<Parsed> {
        let mut boxes = Vec::new();
        let mut pos = start;
        while pos < end {
            assert!(pos + 8 <= end, "truncated header at {pos}");
            let size = u32::from_be_bytes(file[pos..pos + 4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = file[pos + 4..pos + 8].try_into().unwrap();
            assert!(size >= 8 && pos + size <= end, "{kind:?} size {size}");
            let children = match children_offset(&kind) {
                Some(skip) => walk(file, pos + 8 + skip, pos + size),
                None => Vec::new(),
            };
            boxes.push(Parsed {
                kind,
                start: pos,
                size,
                children,
            });
            pos += size;
        }
        assert_eq!(pos, end, "children must fill their parent exactly");
        boxes
    }

    /// The big-endian `u32` at `at`.
    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn structure_is_valid() {
        let file = replay_mp4(1280, 720, 4321);
        let top = walk(&file, 0, file.len());
        let kinds: Vec<_> = top.iter().map(|b| &b.kind).collect();
        assert_eq!(kinds, [b"ftyp", b"moov", b"mdat"]);

        let ftyp = top[0].body(&file);
        assert_eq!(&ftyp[0..4], b"isom");
        assert_eq!(&ftyp[8..], b"isomiso2mp41");

        let moov = &top[1];
        let mvhd = moov.find(b"mvhd").unwrap().body(&file);
        assert_eq!(u32_at(mvhd, 12), 1000, "timescale");
        assert_eq!(u32_at(mvhd, 16), 4321, "duration");

        let tkhd = moov.find(b"tkhd").unwrap().body(&file);
        assert_eq!(u32_at(tkhd, 20), 4321, "track duration");
        assert_eq!(u32_at(tkhd, 76), 1280 << 16);
        assert_eq!(u32_at(tkhd, 80), 720 << 16);

        let hdlr = moov.find(b"hdlr").unwrap().body(&file);
        assert_eq!(&hdlr[8..12], b"vide");
        for kind in [
            b"mdhd", b"vmhd", b"url ", b"avcC", b"stts", b"stsc", b"stsz",
        ] {
            assert!(moov.find(kind).is_some(), "{kind:?}");
        }
        let avc1 = moov.find(b"avc1").unwrap().body(&file);
        assert_eq!((avc1[24], avc1[25], avc1[26], avc1[27]), (5, 0, 2, 208));

        let mdat = &top[2];
        let stco = moov.find(b"stco").unwrap().body(&file);
        assert_eq!(u32_at(stco, 4), 1);
        let offset = u32_at(stco, 8) as usize;
        let stsz = moov.find(b"stsz").unwrap().body(&file);
        let sample_len = u32_at(stsz, 12) as usize;
        assert_eq!(offset, mdat.start + 8);
        assert!(offset + sample_len <= mdat.start + mdat.size);
        // The sample is one length-prefixed IDR NAL unit.
        assert_eq!(u32_at(&file, offset) as usize + 4, sample_len);
        assert_eq!(file[offset + 4], 0x65);
    }

    #[test]
    fn extreme_sizes_stay_valid() {
        for (w, h, d) in [
            (0, 0, 0),
            (1, 1, 1),
            (17, 33, u32::MAX),
            (7680, 4320, 60_000),
        ] {
            let file = replay_mp4(w, h, d);
            let top = walk(&file, 0, file.len());
            let tkhd = top[1].find(b"tkhd").unwrap().body(&file);
            assert_eq!(u32_at(tkhd, 76), u32::from(w) << 16);
            assert_eq!(u32_at(top[1].find(b"mvhd").unwrap().body(&file), 16), d);
        }
    }

    #[test]
    fn exp_golomb_and_emulation_prevention() {
        let mut w = BitWriter::default();
        for v in [0, 1, 2, 3, 7] {
            w.ue(v);
        }
        // 1 010 011 00100 0001000, then the stop bit and padding.
        assert_eq!(w.finish(), [0b1010_0110, 0b0100_0001, 0b0001_0000]);
        assert_eq!(
            nal(0x67, &[0, 0, 1, 0, 0, 0, 5]),
            [0x67, 0, 0, 3, 1, 0, 0, 3, 0, 5]
        );
    }

    #[test]
    fn sps_encodes_size_and_cropping() {
        // 1920x1080: 120x68 macroblocks, 8 rows cropped at the bottom (4 units).
        let sps = sps_rbsp(1920, 1080);
        let mut expected = BitWriter::default();
        expected.bits(66, 8);
        expected.bits(0xc0, 8);
        expected.bits(40, 8);
        for v in [0, 0, 2, 1] {
            expected.ue(v);
        }
        expected.bit(false);
        expected.ue(119);
        expected.ue(67);
        expected.bits(0b111, 3);
        for v in [0, 0, 0, 4] {
            expected.ue(v);
        }
        expected.bit(false);
        assert_eq!(sps, expected.finish());
    }
}

//! Generated media and computer-control state for fake browsers: PNG
//! screenshots, MP4 replays, and the mouse, cursor and clipboard state the
//! computer-control operations read and change. Pure data, no I/O.

pub(crate) mod computer;
pub(crate) mod mp4;
pub(crate) mod png;

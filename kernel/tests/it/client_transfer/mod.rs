//! Uploads (multipart, streamed) and downloads (streamed, atomic
//! `save_to`), `Readiness` on 202 and `acquire` on 204.

mod downloads;
mod readiness;
mod uploads;

//! The replay server's allocation and hashing tricks, in one place, each with
//! the measurement that justifies it. Everything else in `replay` is written
//! plainly; what is here trades plainness for a measured gain, and a change
//! that no longer shows the gain should remove the trick.
//!
//! The figures were re-measured for this module, each against a build without
//! the one trick, on the same machine: instructions are callgrind's per request
//! (`tapedeck replay`, release, the reference set, a signed request of the
//! `unknown-user` fixture over one keep-alive connection, as the difference
//! between runs of 11,000 and 1,000 requests); RSS is read from `/proc` once
//! the server has started with 10,000 fixtures (`scripts/bench/bench.py`'s
//! corpus). docs/benchmarks.md has the load-test figures of when each trick
//! came in.
//!
//! - [`in_own_arena`] and [`release_free_memory`]: the index is built on a
//!   thread of its own, and the main heap is trimmed after. RSS after start-up
//!   with 10,000 fixtures: 46 MiB; 101 MiB without the trim; 108 MiB with
//!   neither (built on the calling thread). Start-up stays about 0.3 s (the
//!   first measurement put the cost at about 80 ms: page faults of the new
//!   arena, and the trim).
//! - [`request_id`]: the `x-amzn-requestid` of every response comes from a
//!   per-thread splitmix64 generator seeded once from `getrandom`.
//!   `Uuid::new_v4()` makes one `getrandom` system call per response (1,006
//!   for 1,000 requests under strace, against 8 in all), 2% of the server's
//!   CPU under load when it was measured; the user-space instructions are the
//!   same.
//! - [`KeyHasher`]: the index's maps hash request keys and bodies (hundreds of
//!   bytes, once per request) eight bytes a step. With SipHash (std's
//!   `DefaultHasher`) for the body hashes instead, a request costs 30,000
//!   instructions instead of 29,300. The keys all come from fixtures, so no
//!   client can flood a map with collisions.

use std::cell::Cell;
use std::hash::Hasher;
use std::sync::mpsc::{channel, Sender};

use http::HeaderValue;

/// Runs `build` on a thread of its own and returns what it built; then hands
/// the emptied main heap back to the system ([`release_free_memory`]).
///
/// glibc gives the new thread a malloc arena of its own, so what `build` keeps
/// (fresh copies of what serving needs) is laid out compactly there. `build`
/// must free nothing it was handed, or its allocations would reuse the main
/// heap's holes: it sends what it does not keep (`L`: file texts, full parses)
/// back through the sender, and this thread frees it meanwhile.
pub(crate) fn in_own_arena<T: Send, L: Send>(build: impl FnOnce(&Sender<L>) -> T + Send) -> T {
    let (leftovers, handed_back) = channel::<L>();
    let built = std::thread::scope(|scope| {
        let builder = scope.spawn(move || build(&leftovers));
        for leftover in handed_back {
            drop(leftover);
        }
        builder.join()
    });
    let built = match built {
        Ok(built) => built,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    release_free_memory();
    built
}

/// Hands memory freed after loading back to the operating system. Without it,
/// glibc keeps the freed pages of the main heap resident: everything allocated
/// after them keeps the heap from shrinking.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim(3) only releases free heap pages; it takes no pointers,
        // is thread-safe, and has no preconditions.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// A fresh `x-amzn-requestid`: a random (version 4) UUID, as AWS sends. The random
/// bits come from a per-thread generator seeded once from the operating system,
/// rather than a `getrandom` system call per response.
#[inline]
pub(crate) fn request_id() -> HeaderValue {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(uuid::Uuid::new_v4().as_u64_pair().0);
    }
    // splitmix64: every seed gives a full-period sequence of well-mixed outputs.
    fn next(state: &Cell<u64>) -> u64 {
        let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let (hi, lo) = STATE.with(|s| (next(s), next(s)));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_le_bytes());
    bytes[8..].copy_from_slice(&lo.to_le_bytes());
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text)).expect("uuid is ASCII")
}

/// A hasher for request keys and bodies, which are long and looked up once per
/// request: eight bytes a step instead of SipHash's one. The keys in the maps
/// all come from fixtures, so a client cannot flood them with colliding keys;
/// a lookup costs one probe whatever the client sends.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl KeyHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        // murmur3's fmix64, so that the high bits hashbrown uses are mixed too.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        let id = uuid::Uuid::parse_str(a.to_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }

    #[test]
    fn what_the_builder_hands_back_is_freed_and_what_it_builds_returned() {
        let built = in_own_arena(|leftovers: &Sender<Vec<u8>>| {
            leftovers.send(vec![0; 1024]).unwrap();
            std::thread::current().id()
        });
        assert_ne!(
            built,
            std::thread::current().id(),
            "built on its own thread"
        );
    }
}

//! The process's memory allocator: mimalloc, for every binary (and test)
//! that links this crate.
//!
//! glibc's malloc keeps what a thread frees in that thread's arena: a burst
//! of 19 MiB Argon2 hashes, SQLite page caches on their connection threads
//! and request buffers on tokio's workers stayed resident after the work was
//! done, so a process grew with the most it had ever done at once (issue 14:
//! 3 GB after 300 account creations). mimalloc returns freed memory to the
//! system after a short delay, so RSS follows the work in progress.
//!
//! The image sets `MIMALLOC_ARENA_EAGER_COMMIT=0` (mimalloc reads its
//! options from the environment; setting them here would take `unsafe`):
//! arenas are committed as used, which roughly halves idle and settled RSS
//! (bench/memory.py numbers in deploy/Dockerfile).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

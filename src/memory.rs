//! The allocator's tunables: the daemon keeps its resident memory small when idle.

/// One malloc arena for the daemon's few threads: glibc otherwise gives each thread
/// that allocates its own arena (up to 8 per core), and each keeps the memory it once
/// used; with one, the idle daemon stays small (scripts/bench_idle.sh measures it).
/// Call before any thread starts.
pub fn trim_resident_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable, before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Hand memory freed after a burst of work (rendering letters, a busy desk) back to the
/// system, so that an idle daemon stays small: glibc otherwise keeps it on its free
/// lists.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

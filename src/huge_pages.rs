//! Large tables on huge pages. The duplicate checks, indexes and columns of a big relation are
//! read at random: on 4 KiB pages nearly every look-up also misses the TLB, and filling them
//! takes a page fault every 4 KiB. Linux backs memory with 2 MiB pages where a program asks
//! for it (`madvise(MADV_HUGEPAGE)`, the default "transparent huge pages" setting), so the
//! allocator asks for it on every allocation of a few MiB or more. Everything else is the system
//! allocator's; on other systems, or where huge pages are off, nothing changes.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, with large allocations on huge pages.
pub struct HugePages;

/// A huge page.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// The smallest allocation asked to be on huge pages (one of 2 to 4 MiB holds a whole huge
/// page when it starts close enough to one's boundary; an aligned allocation would have to
/// be zeroed by hand, where the kernel gives zeroed pages for free).
#[cfg(target_os = "linux")]
const MIN_SIZE: usize = HUGE_PAGE;

/// Asks for the huge pages that lie whole inside `size` bytes from `p` (a hint: it cannot
/// fail in a way that matters, and memory already touched stays as it is until compacted).
#[inline]
fn advise(p: *mut u8, size: usize) {
    #[cfg(target_os = "linux")]
    if size >= MIN_SIZE && !p.is_null() {
        let start = (p as usize).next_multiple_of(HUGE_PAGE);
        let end = (p as usize + size) / HUGE_PAGE * HUGE_PAGE;
        if end > start {
            // SAFETY: the range lies inside the allocation just made; the advice changes how
            // its pages are backed, never their contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, size);
}

// SAFETY: every call is the system allocator's with the same arguments; `advise` only adds a
// hint about pages of the memory the system allocator returned.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if new_size > layout.size() {
            advise(p, new_size);
        }
        p
    }
}

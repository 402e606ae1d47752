//! The global allocator: mimalloc, called for plain blocks wherever the alignment allows.
//!
//! mimalloc's aligned entry points take a slow path whenever the page of a size class has no
//! free block at hand. For a size that is not a power of two, that path over-allocates from a
//! larger size class, which leaves the right page empty, so the slow path repeats. Most Rust
//! values ask for an alignment of 8 or less, which every mimalloc block has, so they go to the
//! plain entry points. Only larger alignments take the aligned ones.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// The alignment of every block that mimalloc returns: its size classes are whole 8-byte
/// words, and the first block of a page is aligned to 16 bytes.
const BLOCK_ALIGN: usize = 8;

/// mimalloc as the Rust global allocator.
pub struct MiMalloc;

// SAFETY: each method hands the request to the mimalloc function that meets its layout: the
// plain functions when the alignment is one every block has, the aligned ones otherwise.
// `mi_free` frees blocks from either kind.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc accepts any size and any power-of-two alignment.
        unsafe {
            if layout.align() <= BLOCK_ALIGN {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if layout.align() <= BLOCK_ALIGN {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`, and the new block keeps its
        // alignment by the same rule as `alloc`.
        unsafe {
            if layout.align() <= BLOCK_ALIGN {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    use super::MiMalloc;

    #[test]
    fn blocks_meet_their_alignment() {
        // Sizes around mimalloc's size classes, each with every alignment Rust can ask for it.
        for size in (1..=300).chain([1000, 4096, 70_000, 1 << 21]) {
            for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // Several blocks of one size, so that some come from the middle of a page.
                let blocks: Vec<*mut u8> =
                    (0..8).map(|_| unsafe { MiMalloc.alloc(layout) }).collect();
                for &block in &blocks {
                    assert!(!block.is_null());
                    assert_eq!(block as usize % align, 0, "size {size}, align {align}");
                }
                let zeroed = unsafe { MiMalloc.alloc_zeroed(layout) };
                assert_eq!(zeroed as usize % align, 0, "zeroed, size {size}, align {align}");
                assert!(unsafe { std::slice::from_raw_parts(zeroed, size) }
                    .iter()
                    .all(|&b| b == 0));
                let grown = unsafe { MiMalloc.realloc(zeroed, layout, size * 3) };
                assert_eq!(grown as usize % align, 0, "grown, size {size}, align {align}");
                unsafe {
                    MiMalloc.dealloc(grown, Layout::from_size_align_unchecked(size * 3, align))
                };
                for block in blocks {
                    unsafe { MiMalloc.dealloc(block, layout) };
                }
            }
        }
    }
}

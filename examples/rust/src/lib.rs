//! A safe Rust face for libhotloop's C API.
//!
//! `ffi` declares the C functions exactly as `hotloop.h` does; the functions and types below wrap
//! them: every `hl_status` becomes a `Result`, buffers the library allocates are copied into a
//! `Vec` and freed, and a `Processor` frees its handle in `Drop` (exactly once).
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

#[allow(non_camel_case_types)]
mod ffi {
    use super::*;
    pub type hl_status = c_int;
    pub type hl_dtype = i32;
    pub const HL_OK: hl_status = 0;
    pub const HL_DTYPE_INT64: hl_dtype = 5;
    pub const HL_DTYPE_FLOAT64: hl_dtype = 11;
    /// A strided array (hl_view in hotloop.h); strides NULL means C-contiguous.
    #[repr(C)]
    pub struct hl_view {
        pub data: *mut c_void,
        pub dtype: hl_dtype,
        pub ndim: i32,
        pub shape: *const i64,
        pub strides: *const i64,
    }
    #[repr(C)]
    pub struct hl_sum_result {
        pub is_integer: i32,
        pub hi: i64,
        pub lo: u64,
        pub value: f64,
    }
    #[repr(C)]
    pub struct hl_buffer {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct hl_processor {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct hl_control {
        _private: [u8; 0],
    }
    extern "C" {
        pub fn hl_version() -> *const c_char;
        pub fn hl_abi_version() -> c_int;
        pub fn hl_last_error_message() -> *const c_char;
        pub fn hl_status_name(status: hl_status) -> *const c_char;
        pub fn hl_divide(a: f64, b: f64, out: *mut f64) -> hl_status;
        pub fn hl_sum(data: *const hl_view, out: *mut hl_sum_result, ctl: *mut hl_control)
                      -> hl_status;
        pub fn hl_filter_double(src: *const hl_view, out_dtype: hl_dtype, min_int: i64,
                                min_uint: u64, min_float: f64, out: *mut *mut hl_buffer,
                                ctl: *mut hl_control) -> hl_status;
        pub fn hl_buffer_data(buf: *const hl_buffer) -> *mut c_void;
        pub fn hl_buffer_length(buf: *const hl_buffer) -> usize;
        pub fn hl_buffer_free(buf: *mut hl_buffer);
        pub fn hl_processor_create(chunk_size: usize, out: *mut *mut hl_processor) -> hl_status;
        pub fn hl_processor_destroy(proc_: *mut hl_processor);
        pub fn hl_processor_add(proc_: *mut hl_processor, values: *const hl_view,
                                ctl: *mut hl_control) -> hl_status;
        pub fn hl_processor_process_chunks(proc_: *mut hl_processor, out: *mut *mut hl_buffer,
                                           ctl: *mut hl_control) -> hl_status;
        pub fn hl_processor_statistics(proc_: *const hl_processor, count: *mut u64,
                                       mean: *mut f64, std: *mut f64,
                                       ctl: *mut hl_control) -> hl_status;
    }
}

/// The ABI version these declarations were written against (HL_ABI_VERSION in hotloop.h).
pub const ABI_VERSION: i32 = 5;

/// A failed call: the C status name (e.g. "HL_ERR_DIVISION_BY_ZERO") and the library's message.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub status: i32,
    pub name: String,
    pub message: String,
}

fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

/// Turns a status into a Result; the message is thread-local in the library, so it is read on
/// the thread that made the call, right after it.
fn check(status: ffi::hl_status) -> Result<(), Error> {
    if status == ffi::HL_OK {
        return Ok(());
    }
    Err(Error {
        status,
        name: text(unsafe { ffi::hl_status_name(status) }),
        message: text(unsafe { ffi::hl_last_error_message() }),
    })
}

pub fn version() -> String {
    text(unsafe { ffi::hl_version() })
}

pub fn abi_version() -> i32 {
    unsafe { ffi::hl_abi_version() }
}

/// a / b; Err(HL_ERR_DIVISION_BY_ZERO) when b == 0.
pub fn divide(a: f64, b: f64) -> Result<f64, Error> {
    let mut out = 0.0;
    check(unsafe { ffi::hl_divide(a, b, &mut out) })?;
    Ok(out)
}

/// A one-dimensional, contiguous hl_view of a slice; `shape` must outlive the view's use.
fn flat_view<T>(values: &[T], dtype: ffi::hl_dtype, shape: &i64) -> ffi::hl_view {
    ffi::hl_view {
        data: values.as_ptr() as *mut c_void,
        dtype,
        ndim: 1,
        shape,
        strides: ptr::null(),
    }
}

/// The exact sum of the values (never overflows: a 128-bit result), computed in parallel.
pub fn sum(values: &[i64]) -> Result<i128, Error> {
    let n = values.len() as i64;
    let view = flat_view(values, ffi::HL_DTYPE_INT64, &n);
    let mut out = ffi::hl_sum_result { is_integer: 0, hi: 0, lo: 0, value: 0.0 };
    check(unsafe { ffi::hl_sum(&view, &mut out, ptr::null_mut()) })?;
    Ok(((out.hi as i128) << 64) | out.lo as i128)
}

/// Copies an hl_buffer of T into a Vec and frees the buffer.
unsafe fn take_buffer<T: Copy>(buf: *mut ffi::hl_buffer) -> Vec<T> {
    let n = ffi::hl_buffer_length(buf);
    let data = ffi::hl_buffer_data(buf) as *const T;
    let out = if n == 0 { Vec::new() } else { std::slice::from_raw_parts(data, n).to_vec() };
    ffi::hl_buffer_free(buf);
    out
}

/// `[x * 2 for x in values if x > threshold]`, in parallel; Err(HL_ERR_OVERFLOW) if a doubled
/// value leaves i64.
pub fn process_numbers(values: &[i64], threshold: i64) -> Result<Vec<i64>, Error> {
    // x > threshold is x >= threshold + 1 for integers; nothing exceeds i64::MAX.
    let min = match threshold.checked_add(1) {
        Some(min) => min,
        None => return Ok(Vec::new()),
    };
    let n = values.len() as i64;
    let view = flat_view(values, ffi::HL_DTYPE_INT64, &n);
    let mut buf = ptr::null_mut();
    check(unsafe {
        ffi::hl_filter_double(&view, ffi::HL_DTYPE_INT64, min, 0, 0.0, &mut buf, ptr::null_mut())
    })?;
    Ok(unsafe { take_buffer(buf) })
}

/// The seed's DataProcessor: a queue of floats consumed in chunks. Freed when dropped.
pub struct Processor {
    handle: *mut ffi::hl_processor,
}

// The library locks each processor internally, so a Processor may move between threads.
unsafe impl Send for Processor {}

impl Processor {
    pub fn new(chunk_size: usize) -> Result<Self, Error> {
        let mut handle = ptr::null_mut();
        check(unsafe { ffi::hl_processor_create(chunk_size, &mut handle) })?;
        Ok(Processor { handle })
    }

    pub fn add_data(&mut self, values: &[f64]) -> Result<(), Error> {
        let n = values.len() as i64;
        let view = flat_view(values, ffi::HL_DTYPE_FLOAT64, &n);
        check(unsafe { ffi::hl_processor_add(self.handle, &view, std::ptr::null_mut()) })
    }

    /// (count, mean, population standard deviation).
    pub fn statistics(&self) -> Result<(u64, f64, f64), Error> {
        let (mut count, mut mean, mut std) = (0u64, 0.0, 0.0);
        check(unsafe { ffi::hl_processor_statistics(self.handle, &mut count, &mut mean, &mut std,
                                         std::ptr::null_mut()) })?;
        Ok((count, mean, std))
    }

    /// Removes every full chunk and returns their means.
    pub fn process_chunks(&mut self) -> Result<Vec<f64>, Error> {
        let mut buf = ptr::null_mut();
        check(unsafe { ffi::hl_processor_process_chunks(self.handle, &mut buf, std::ptr::null_mut()) })?;
        Ok(unsafe { take_buffer(buf) })
    }
}

impl Drop for Processor {
    fn drop(&mut self) {
        unsafe { ffi::hl_processor_destroy(self.handle) };
    }
}

//! Links against libhotloop.so: HOTLOOP_LIB_DIR, else `pkg-config --variable=libdir hotloop`.
//! The folder is also recorded as an rpath, so the binaries and tests run without
//! LD_LIBRARY_PATH.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=HOTLOOP_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let dir = std::env::var("HOTLOOP_LIB_DIR").ok().or_else(|| {
        let out = Command::new("pkg-config").args(["--variable=libdir", "hotloop"]).output().ok()?;
        let dir = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !dir.is_empty()).then_some(dir)
    });
    let dir = dir.expect(
        "libhotloop not found: set HOTLOOP_LIB_DIR to the folder holding libhotloop.so \
         (e.g. <prefix>/lib after `cmake --install build --prefix <prefix>`), or PKG_CONFIG_PATH",
    );
    println!("cargo:rustc-link-search=native={dir}");
    println!("cargo:rustc-link-lib=dylib=hotloop");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
}

//! Compiles every `.proto` with protox (pure Rust), so no system `protoc` is needed,
//! and writes the file-descriptor set that the services serve over reflection.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/partner/common/v1/common.proto",
        "proto/partner/account/v1/account.proto",
        "proto/partner/contact/v1/contact.proto",
        "proto/partner/billing/v1/billing.proto",
        "proto/partner/auth/v1/auth.proto",
    ];
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_files(files)?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    // compile_fds prints no rerun-if-changed lines of its own.
    for file in compiler.files() {
        if let Some(path) = file.path() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}

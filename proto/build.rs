//! Compiles the .proto files with protox (pure Rust), so a fresh machine needs
//! no system `protoc`, and writes the descriptor set used by server reflection.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/portico/auth/v1/auth.proto",
        "proto/portico/tools/v1/tools.proto",
        "proto/portico/connector/v1/connector.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let fds = protox::compile(files, ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("portico_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

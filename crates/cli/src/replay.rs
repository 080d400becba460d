//! `runnel replay FILE.sse`: serves a recorded stream (`runnel chat --save-sse`) on 127.0.0.1 as
//! an endpoint of its protocol until Ctrl-C. The base URL goes to stdout (for scripts), the rest
//! to stderr.

use std::path::PathBuf;

use clap::Args;
use runnel_core::Limits;
use runnel_core::replay::{Pace, ReplayServer};
use runnel_core::sse_file;

use crate::failure::Failure;

/// Arguments of `runnel replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// The recorded stream, with its timings in FILE.json beside it (without them it is served
    /// all at once, its protocol guessed from its content).
    #[arg(value_name = "FILE.sse")]
    file: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// How fast: `recorded` (the recorded timing), `max` (all at once) or a speed such as `2x`.
    #[arg(long, default_value = "recorded")]
    pace: Pace,
}

pub async fn run(args: ReplayArgs) -> Result<u8, Failure> {
    let path = args.file.clone();
    let file = tokio::task::spawn_blocking(move || sse_file::read(&path, &Limits::default()))
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())?;
    let pace = if file.timed {
        args.pace
    } else {
        eprintln!(
            "note: {} has no timings beside it ({}), so it is served all at once",
            args.file.display(),
            sse_file::sidecar_path(&args.file).display()
        );
        Pace::Max
    };
    let recording = file.recording;
    let summary = format!(
        "{} bytes in {} chunks{}, {} status {}{}",
        recording.body_len(),
        recording.chunks.len(),
        if recording.truncated {
            ", cut at the recording limit"
        } else {
            ""
        },
        recording.protocol,
        recording.status.unwrap_or(200),
        recording
            .model
            .as_deref()
            .map(|model| format!(", model {model}"))
            .unwrap_or_default()
    );
    let server = ReplayServer::bind(args.port, recording, pace)
        .await
        .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", args.port))?;
    println!("{}", server.base_url());
    eprintln!(
        "replaying {} ({summary}) at {pace} pace to every chat request; Ctrl-C stops",
        args.file.display()
    );
    tokio::select! {
        () = server.run() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(0)
}

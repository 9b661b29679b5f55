//! The MCP conformance suite's fixture tools (feature
//! `conformance-fixtures`): what its server scenarios call, served behind
//! the same catalog, scope checks and gRPC API as the Podio tools so that
//! the whole path is what the suite tests. They touch nothing upstream.
//! Each answers as the suite's reference server does; the suite checks
//! structure (kinds of content, mime types, event counts and order), not
//! exact text.
//!
//! The fixtures that need input from the client (`test_sampling`,
//! `test_elicitation`, the `InputRequiredResult` ones,
//! `test_missing_capability`) are in `fixture_inputs`; the suite's
//! resources and prompts in `fixture_resources` and `fixture_prompts`. See
//! the README's Conformance section.

use std::time::Duration;

use async_trait::async_trait;
use portico_proto::tools::v1::{
    AudioContent, ContentBlock, EmbeddedResource, ImageContent, LogLevel, ToolResult,
    content_block::Kind, embedded_resource::Contents,
};
use serde_json::Value;

use super::{Annotations, Handler, SCOPE_READ, ToolSpec, schema};
use crate::args::Args;
use crate::context::CallContext;
use crate::error::ToolError;
use crate::podio::Podio;

/// The pause between the events of the logging and progress fixtures, as
/// the suite asks (about 50 ms), so a client sees them arrive during the call.
const STEP: Duration = Duration::from_millis(50);

/// A 1×1 PNG (also the fixture resources' and prompts' image).
pub(super) const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xfc, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x05, 0x02, 0x00, 0x5f, 0xc8, 0xf1, 0xd2, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// What one fixture does.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    SimpleText,
    Image,
    Audio,
    EmbeddedResource,
    Mixed,
    Logging,
    Progress,
    Error,
    NoServerRequests,
}

/// One fixture tool.
struct Fixture {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    behaviour: Behaviour,
}

/// The fixtures, in the order the suite's scenarios list them.
pub(super) fn toolset() -> Vec<Box<dyn Handler>> {
    let fixture = |name, title, description, behaviour| -> Box<dyn Handler> {
        Box::new(Fixture {
            name,
            title,
            description,
            behaviour,
        })
    };
    vec![
        fixture(
            "test_simple_text",
            "Simple text",
            "Conformance fixture: answers with one text block.",
            Behaviour::SimpleText,
        ),
        fixture(
            "test_image_content",
            "Image content",
            "Conformance fixture: answers with a PNG image block.",
            Behaviour::Image,
        ),
        fixture(
            "test_audio_content",
            "Audio content",
            "Conformance fixture: answers with a WAV audio block.",
            Behaviour::Audio,
        ),
        fixture(
            "test_embedded_resource",
            "Embedded resource",
            "Conformance fixture: answers with an embedded text resource.",
            Behaviour::EmbeddedResource,
        ),
        fixture(
            "test_multiple_content_types",
            "Multiple content types",
            "Conformance fixture: answers with text, an image and an embedded resource.",
            Behaviour::Mixed,
        ),
        fixture(
            "test_tool_with_logging",
            "Tool with logging",
            "Conformance fixture: sends three info log messages about 50 ms apart while it runs.",
            Behaviour::Logging,
        ),
        fixture(
            "test_tool_with_progress",
            "Tool with progress",
            "Conformance fixture: reports progress 0, 50 and 100 of 100 about 50 ms apart.",
            Behaviour::Progress,
        ),
        fixture(
            "test_error_handling",
            "Error handling",
            "Conformance fixture: always answers with an error result (isError).",
            Behaviour::Error,
        ),
        fixture(
            "test_logging_tool",
            "Logging tool",
            "Conformance fixture (2026-07-28): sends three info log messages while it runs, only when the request set a log level.",
            Behaviour::Logging,
        ),
        fixture(
            "test_streaming_elicitation",
            "Streaming elicitation",
            "Conformance fixture (2026-07-28): answers with text; never sends a request to the client on the response stream.",
            Behaviour::NoServerRequests,
        ),
    ]
}

#[async_trait]
impl Handler for Fixture {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            title: self.title,
            ..spec(self.name, self.description, schema::input(&[], &[]))
        }
    }

    async fn handle(
        &self,
        cx: &CallContext,
        _podio: &Podio,
        args: Args,
    ) -> Result<ToolResult, ToolError> {
        args.finish()?;
        let content = match self.behaviour {
            Behaviour::SimpleText => vec![ContentBlock::text(
                "This is a simple text response for testing.",
            )],
            Behaviour::Image => vec![image()],
            Behaviour::Audio => vec![block(Kind::Audio(AudioContent {
                data: wav(),
                mime_type: "audio/wav".to_owned(),
            }))],
            Behaviour::EmbeddedResource => vec![resource(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            )],
            Behaviour::Mixed => vec![
                ContentBlock::text("Multiple content types test:"),
                image(),
                resource(
                    "test://mixed-content-resource",
                    "application/json",
                    r#"{"test":"data","value":123}"#,
                ),
            ],
            Behaviour::Logging => {
                cx.log(LogLevel::Info, "Tool execution started").await;
                tokio::time::sleep(STEP).await;
                cx.log(LogLevel::Info, "Tool processing data").await;
                tokio::time::sleep(STEP).await;
                cx.log(LogLevel::Info, "Tool execution completed").await;
                vec![ContentBlock::text(
                    "Tool with logging executed successfully",
                )]
            }
            Behaviour::Progress => {
                cx.progress(0.0, Some(100.0), "").await;
                tokio::time::sleep(STEP).await;
                cx.progress(50.0, Some(100.0), "").await;
                tokio::time::sleep(STEP).await;
                cx.progress(100.0, Some(100.0), "").await;
                vec![ContentBlock::text(
                    "Tool with progress executed successfully",
                )]
            }
            Behaviour::NoServerRequests => vec![ContentBlock::text(
                "This server asks nothing of the client during a call.",
            )],
            Behaviour::Error => {
                return Ok(ToolResult {
                    is_error: true,
                    content: vec![ContentBlock::text(
                        "This tool intentionally returns an error for testing",
                    )],
                    ..ToolResult::default()
                });
            }
        };
        Ok(ToolResult {
            is_error: false,
            content,
            ..ToolResult::default()
        })
    }
}

/// The definition of a fixture: read-only, touching nothing upstream.
pub(super) fn spec(name: &'static str, description: &'static str, input_schema: Value) -> ToolSpec {
    ToolSpec {
        name,
        title: name,
        description,
        input_schema,
        // No output schema: MCP requires structured content from a tool that
        // declares one, and these answer with content blocks only.
        output_schema: Value::Null,
        annotations: Annotations {
            read_only: true,
            destructive: false,
            idempotent: true,
            open_world: false,
        },
        required_scope: SCOPE_READ,
    }
}

fn block(kind: Kind) -> ContentBlock {
    ContentBlock { kind: Some(kind) }
}

fn image() -> ContentBlock {
    block(Kind::Image(ImageContent {
        data: PNG.to_vec(),
        mime_type: "image/png".to_owned(),
    }))
}

fn resource(uri: &str, mime_type: &str, text: &str) -> ContentBlock {
    block(Kind::Resource(EmbeddedResource {
        uri: uri.to_owned(),
        mime_type: mime_type.to_owned(),
        contents: Some(Contents::Text(text.to_owned())),
    }))
}

/// A tenth of a second of silence: 8 kHz, 8-bit, mono PCM in a RIFF/WAVE
/// container.
fn wav() -> Vec<u8> {
    const RATE: u32 = 8000;
    let samples = vec![128u8; (RATE / 10) as usize];
    let data_len = samples.len() as u32;
    let mut wav = Vec::with_capacity(44 + samples.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&RATE.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&1u16.to_le_bytes()); // block align
    wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.extend_from_slice(&samples);
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wav_is_a_well_formed_riff_file() {
        let wav = wav();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..12], b"WAVE");
        let riff_len = u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]) as usize;
        assert_eq!(riff_len + 8, wav.len());
    }
}

//! The MCP conformance suite's fixture prompts and completion (feature
//! `conformance-fixtures`): the reference server's `test_simple_prompt`,
//! `test_prompt_with_arguments`, `test_prompt_with_embedded_resource` and
//! `test_prompt_with_image`, and suggestions for `test_prompt_with_arguments`'
//! arguments, served through the tools service's prompt RPCs.

use portico_proto::error::{ErrorCode, ServiceError};
use portico_proto::tools::no_prompt;
use portico_proto::tools::v1::{
    CompleteRequest, CompleteResponse, ContentBlock, EmbeddedResource, GetPromptRequest,
    GetPromptResponse, ImageContent, Prompt, PromptArgument, PromptMessage, Role,
    complete_request::Reference, content_block::Kind, embedded_resource::Contents,
};

use serde_json::json;

use super::fixtures::PNG;
use crate::error::ToolError;
use crate::input::{Inputs, Request};

/// What completion suggests for either argument of
/// `test_prompt_with_arguments`, filtered by what was typed.
const SUGGESTIONS: [&str; 5] = ["paris", "park", "party", "test", "testing"];

/// The prompts, in a stable order.
pub(crate) fn list() -> Vec<Prompt> {
    let argument = |name: &str, description: &str| PromptArgument {
        name: name.to_owned(),
        description: description.to_owned(),
        required: true,
    };
    let prompt = |name: &str, description: &str, arguments| Prompt {
        name: name.to_owned(),
        title: String::new(),
        description: description.to_owned(),
        arguments,
    };
    vec![
        prompt(
            "test_simple_prompt",
            "Conformance fixture: a prompt with no arguments.",
            vec![],
        ),
        prompt(
            "test_prompt_with_arguments",
            "Conformance fixture: a prompt with two required arguments.",
            vec![
                argument("arg1", "First test argument"),
                argument("arg2", "Second test argument"),
            ],
        ),
        prompt(
            "test_prompt_with_embedded_resource",
            "Conformance fixture: a prompt that embeds a resource.",
            vec![argument("resourceUri", "URI of the resource to embed")],
        ),
        prompt(
            "test_prompt_with_image",
            "Conformance fixture: a prompt with an image.",
            vec![],
        ),
        prompt(
            "test_input_required_result_prompt",
            "Conformance fixture (2026-07-28): asks the user for context first (InputRequiredResult).",
            vec![],
        ),
    ]
}

/// The prompt `request.name` rendered with `request.arguments`.
pub(crate) fn get(request: &GetPromptRequest) -> Result<GetPromptResponse, ServiceError> {
    let prompt = list()
        .into_iter()
        .find(|p| p.name == request.name)
        .ok_or_else(|| no_prompt(&request.name))?;
    let arg = |name: &str| -> Result<&str, ServiceError> {
        request
            .arguments
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| {
                ServiceError::new(
                    ErrorCode::InvalidArgument,
                    format!("prompt {} needs the argument {name}", request.name),
                )
            })
    };
    let messages = match prompt.name.as_str() {
        "test_simple_prompt" => vec![user(ContentBlock::text(
            "This is a simple prompt for testing.",
        ))],
        "test_prompt_with_arguments" => vec![user(ContentBlock::text(format!(
            "Prompt with arguments: arg1='{}', arg2='{}'",
            arg("arg1")?,
            arg("arg2")?
        )))],
        "test_input_required_result_prompt" => {
            let inputs = Inputs::of(
                request.client_capabilities,
                &request.input_responses_json,
                &request.request_state,
            )
            .map_err(ToolError::into_service_error)?;
            let form = json!({
                "type": "object",
                "properties": {"context": {"type": "string"}},
                "required": ["context"],
            });
            let ask = Request::elicit("user_context", "What context should the prompt use?", form);
            match inputs.ask(&[ask]) {
                Ok(got) => vec![user(ContentBlock::text(format!(
                    "Use this context: {}",
                    got.content("user_context")["context"]
                        .as_str()
                        .unwrap_or_default()
                )))],
                Err(input) => {
                    return Ok(GetPromptResponse {
                        input_required: Some(input),
                        ..GetPromptResponse::default()
                    });
                }
            }
        }
        "test_prompt_with_embedded_resource" => vec![
            user(block(Kind::Resource(EmbeddedResource {
                uri: arg("resourceUri")?.to_owned(),
                mime_type: "text/plain".to_owned(),
                contents: Some(Contents::Text(
                    "Embedded resource content for testing.".to_owned(),
                )),
            }))),
            user(ContentBlock::text(
                "Please process the embedded resource above.",
            )),
        ],
        _ => vec![
            user(block(Kind::Image(ImageContent {
                data: PNG.to_vec(),
                mime_type: "image/png".to_owned(),
            }))),
            user(ContentBlock::text("Please analyze the image above.")),
        ],
    };
    Ok(GetPromptResponse {
        description: prompt.description,
        messages,
        input_required: None,
    })
}

/// Suggestions for an argument of `test_prompt_with_arguments`; none for
/// the other prompts' arguments, and none for resource templates.
pub(crate) fn complete(request: &CompleteRequest) -> Result<CompleteResponse, ServiceError> {
    let values = match &request.reference {
        Some(Reference::PromptName(name)) => {
            let prompt = list()
                .into_iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| no_prompt(name))?;
            if prompt.name == "test_prompt_with_arguments" {
                SUGGESTIONS
                    .iter()
                    .filter(|s| s.starts_with(&request.argument_value))
                    .map(|s| (*s).to_owned())
                    .collect()
            } else {
                Vec::new()
            }
        }
        Some(Reference::ResourceTemplateUri(_)) | None => Vec::new(),
    };
    Ok(CompleteResponse {
        total: Some(values.len() as u32),
        values,
        has_more: false,
    })
}

fn user(content: ContentBlock) -> PromptMessage {
    PromptMessage {
        role: Role::User as i32,
        content: Some(content),
    }
}

fn block(kind: Kind) -> ContentBlock {
    ContentBlock { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_render_their_arguments_and_refuse_missing_ones() {
        let mut request = GetPromptRequest {
            name: "test_prompt_with_arguments".to_owned(),
            arguments: [("arg1", "testValue1"), ("arg2", "testValue2")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..GetPromptRequest::default()
        };
        let answer = get(&request).expect("renders");
        let text = format!("{:?}", answer.messages);
        assert!(text.contains("testValue1") && text.contains("testValue2"));
        request.arguments.remove("arg2");
        assert_eq!(
            get(&request).expect_err("missing").code,
            ErrorCode::InvalidArgument
        );
        for prompt in list() {
            if prompt.arguments.is_empty() {
                let request = GetPromptRequest {
                    name: prompt.name,
                    ..GetPromptRequest::default()
                };
                let answer = get(&request).expect("renders");
                assert!(!answer.messages.is_empty() || answer.input_required.is_some());
            }
        }
        let unknown = GetPromptRequest {
            name: "nope".to_owned(),
            ..GetPromptRequest::default()
        };
        assert_eq!(
            get(&unknown).expect_err("unknown").code,
            ErrorCode::NotFound
        );
    }

    #[test]
    fn completion_filters_by_prefix() {
        let request = CompleteRequest {
            reference: Some(Reference::PromptName(
                "test_prompt_with_arguments".to_owned(),
            )),
            argument_name: "arg1".to_owned(),
            argument_value: "par".to_owned(),
            ..CompleteRequest::default()
        };
        assert_eq!(
            complete(&request).expect("complete").values,
            ["paris", "park", "party"]
        );
    }
}

//! What the tools service offers beside tools: resources, prompts and
//! argument completion, each for an authenticated caller. The normal build
//! offers none (empty lists, NOT_FOUND, no features, so the front door
//! advertises none); the `conformance-fixtures` build serves the suite's
//! fixtures (`tools::fixture_resources`, `tools::fixture_prompts`).

use portico_proto::error::ServiceError;
use portico_proto::tools::no_resource;
use portico_proto::tools::v1::{
    CompleteRequest, CompleteResponse, EmbeddedResource, Features, GetPromptRequest,
    GetPromptResponse, Prompt, Resource, ResourceTemplate,
};

#[cfg(feature = "conformance-fixtures")]
use crate::tools::{fixture_prompts as prompts, fixture_resources as resources};

use super::ToolsService;
use crate::error::ToolError;

impl ToolsService {
    async fn check(&self, token: Option<&str>) -> Result<(), ServiceError> {
        self.authn
            .authenticate(token)
            .await
            .map(drop)
            .map_err(ToolError::into_service_error)
    }

    pub(crate) async fn features_for(&self, token: Option<&str>) -> Result<Features, ServiceError> {
        self.check(token).await?;
        Ok(Features {
            resources: OFFERED,
            resource_subscriptions: OFFERED,
            prompts: OFFERED,
            completions: OFFERED,
        })
    }

    pub(crate) async fn resources_for(
        &self,
        token: Option<&str>,
    ) -> Result<Vec<Resource>, ServiceError> {
        self.check(token).await?;
        Ok(resources::list())
    }

    pub(crate) async fn templates_for(
        &self,
        token: Option<&str>,
    ) -> Result<Vec<ResourceTemplate>, ServiceError> {
        self.check(token).await?;
        Ok(resources::templates())
    }

    pub(crate) async fn read_for(
        &self,
        token: Option<&str>,
        uri: &str,
    ) -> Result<Vec<EmbeddedResource>, ServiceError> {
        self.check(token).await?;
        resources::read(uri).ok_or_else(|| no_resource(uri))
    }

    pub(crate) async fn prompts_for(
        &self,
        token: Option<&str>,
    ) -> Result<Vec<Prompt>, ServiceError> {
        self.check(token).await?;
        Ok(prompts::list())
    }

    pub(crate) async fn prompt_for(
        &self,
        token: Option<&str>,
        request: &GetPromptRequest,
    ) -> Result<GetPromptResponse, ServiceError> {
        self.check(token).await?;
        prompts::get(request)
    }

    pub(crate) async fn complete_for(
        &self,
        token: Option<&str>,
        request: &CompleteRequest,
    ) -> Result<CompleteResponse, ServiceError> {
        self.check(token).await?;
        prompts::complete(request)
    }
}

/// Whether this build serves resources, subscriptions, prompts and completion.
const OFFERED: bool = cfg!(feature = "conformance-fixtures");

/// The normal build's (empty) resources.
#[cfg(not(feature = "conformance-fixtures"))]
mod resources {
    use super::{EmbeddedResource, Resource, ResourceTemplate};

    pub(super) fn list() -> Vec<Resource> {
        Vec::new()
    }

    pub(super) fn templates() -> Vec<ResourceTemplate> {
        Vec::new()
    }

    pub(super) fn read(_uri: &str) -> Option<Vec<EmbeddedResource>> {
        None
    }
}

/// The normal build's (empty) prompts.
#[cfg(not(feature = "conformance-fixtures"))]
mod prompts {
    use portico_proto::tools::no_prompt;

    use super::ServiceError;
    use super::{CompleteRequest, CompleteResponse, GetPromptRequest, GetPromptResponse, Prompt};
    use portico_proto::tools::v1::complete_request::Reference;

    pub(super) fn list() -> Vec<Prompt> {
        Vec::new()
    }

    pub(super) fn get(request: &GetPromptRequest) -> Result<GetPromptResponse, ServiceError> {
        Err(no_prompt(&request.name))
    }

    pub(super) fn complete(request: &CompleteRequest) -> Result<CompleteResponse, ServiceError> {
        match &request.reference {
            Some(Reference::PromptName(name)) => Err(no_prompt(name)),
            Some(Reference::ResourceTemplateUri(_)) | None => Ok(CompleteResponse::default()),
        }
    }
}

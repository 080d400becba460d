//! `runnel models [PROVIDER]`: the models a provider offers, as `provider/model` lines ready for
//! `-m`. When the list cannot be fetched (no key, server down), the built-in list is printed and
//! the reason goes to stderr.

use clap::Args;
use runnel_core::{Engine, ProviderDef, Timeouts};

use crate::failure::Failure;
use crate::select::{self, Choice};

/// Arguments of `runnel models`.
#[derive(Args)]
pub struct ModelsArgs {
    /// The provider (all when omitted).
    provider: Option<String>,
    /// Base URL to ask instead of the provider's own.
    #[arg(long)]
    base_url: Option<String>,
}

pub async fn run(args: ModelsArgs) -> Result<u8, Failure> {
    let engine = Engine::new(Timeouts {
        connect: std::time::Duration::from_secs(3),
        ..Timeouts::default()
    })
    .map_err(|error| error.to_string())?;
    let providers: Vec<&ProviderDef> = match &args.provider {
        Some(provider) => vec![select::known(provider)?],
        None => select::catalog().usable().collect(),
    };
    let mut failures = 0;
    for def in providers {
        let provider = &def.id;
        let choice = Choice {
            provider: provider.clone(),
            model: None,
        };
        let listed = match select::endpoint_async(&choice, args.base_url.as_deref()).await {
            Ok((endpoint, _)) => engine.models(&endpoint).await.map_err(|error| error.to_string()),
            Err(failure) => Err(failure.to_string()),
        };
        match listed {
            Ok(models) => models.iter().for_each(|model| println!("{provider}/{}", model.id)),
            Err(reason) => {
                failures += 1;
                eprintln!("{provider}: built-in list ({reason})");
                def.models.iter().for_each(|model| println!("{provider}/{model}"));
            }
        }
    }
    // Naming one provider whose list failed is an error; the overview of all is not.
    Ok(if args.provider.is_some() && failures > 0 {
        crate::EXIT_ERROR
    } else {
        0
    })
}

//! `runnel models [PROVIDER]`: the models a provider offers, as `provider/model` lines ready for
//! `-m`. When the list cannot be fetched (no key, server down), the built-in list is printed and
//! the reason goes to stderr.
//!
//! Only a provider named (or a custom endpoint given by `--base-url`) is asked with its key. The
//! overview of every provider sends no key: providers that need one print their built-in lists,
//! and the others (local servers, the demo) are asked without one.

use clap::Args;
use runnel_core::{Engine, ModelInfo, ProviderDef, Timeouts, resolve_keyless};

use crate::failure::Failure;
use crate::select::{self, Flags};

/// Arguments of `runnel models`.
#[derive(Args)]
pub struct ModelsArgs {
    /// The provider (all when omitted).
    provider: Option<String>,
    /// Base URL to ask: with a provider named, instead of its own (its key goes there); alone, a
    /// custom endpoint that gets no provider's env key.
    #[arg(long)]
    base_url: Option<String>,
    /// The protocol to speak: one the provider offers, any for an endpoint given by --base-url alone (the help lists the core's protocols).
    #[arg(long, value_name = "PROTOCOL", value_parser = select::protocol_id, help = select::protocol_help("The protocol to speak: one the provider offers (its own by default), any for an endpoint given by --base-url alone"))]
    protocol: Option<String>,
}

pub async fn run(args: ModelsArgs) -> Result<u8, Failure> {
    let engine = Engine::new(Timeouts {
        connect: std::time::Duration::from_secs(3),
        ..Timeouts::default()
    })
    .map_err(|error| error.to_string())?;
    if args.provider.is_none() && args.base_url.is_none() {
        return every_provider(&engine).await;
    }
    let flags = Flags {
        provider: args.provider.as_deref(),
        base_url: args.base_url.as_deref(),
        protocol: args.protocol.as_deref(),
        ..Flags::default()
    };
    let choice = select::choose(flags)?;
    let def = select::known(&choice.provider)?;
    let listed = match select::endpoint_async(&choice, args.base_url.as_deref()).await {
        Ok((endpoint, _)) => engine.models(&endpoint).await.map_err(|error| error.to_string()),
        Err(failure) => Err(failure.to_string()),
    };
    Ok(if print(def, listed) { 0 } else { crate::exit::EXIT_ERROR })
}

/// The overview: every usable provider, asked without a key when it can answer without one.
async fn every_provider(engine: &Engine) -> Result<u8, Failure> {
    for def in select::catalog().usable() {
        let listed = if def.key_required {
            Err(format!(
                "not asked without naming it: `runnel models {}` asks with its key",
                def.id
            ))
        } else {
            match resolve_keyless(def, None) {
                Ok(endpoint) => engine.models(&endpoint).await.map_err(|error| error.to_string()),
                Err(error) => Err(error.to_string()),
            }
        };
        print(def, listed);
    }
    Ok(0)
}

/// Prints `def`'s models as listed, or its built-in list with the reason on stderr; `true` when
/// the list was fetched.
fn print(def: &ProviderDef, listed: Result<Vec<ModelInfo>, String>) -> bool {
    let provider = &def.id;
    match listed {
        Ok(models) => {
            models.iter().for_each(|model| println!("{provider}/{}", model.id));
            true
        }
        Err(reason) => {
            eprintln!("{provider}: built-in list ({reason})");
            def.models.iter().for_each(|model| println!("{provider}/{model}"));
            false
        }
    }
}

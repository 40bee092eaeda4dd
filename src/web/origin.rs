//! Which origin an embed is trusted from: exactly one `http(s)://host[:port]`, never `*` or `null`.

use super::listener::AttachError;
use web_sys::{HtmlIFrameElement, Url};

/// The origin to trust for `iframe`: `explicit` when given (validated), else the origin of `src`
/// (the URL about to be loaded), else the origin of the iframe's current `src`.
///
/// An explicit origin may carry a trailing `/` (`https://acme.coassemble.com/`); a path, query,
/// credentials or a non-http(s) scheme is an [`AttachError::InvalidOrigin`].
pub fn resolve_origin(
    iframe: &HtmlIFrameElement,
    explicit: Option<&str>,
    src: Option<&str>,
) -> Result<String, AttachError> {
    if let Some(origin) = explicit {
        let url = parse_http(origin)?;
        let bare = url.pathname() == "/"
            && url.search().is_empty()
            && url.hash().is_empty()
            && url.username().is_empty()
            && url.password().is_empty();
        return if bare {
            Ok(url.origin())
        } else {
            Err(invalid(
                origin,
                "an origin has no path, query or credentials",
            ))
        };
    }
    let src = src.map(str::to_owned).unwrap_or_else(|| iframe.src());
    if src.is_empty() {
        return Err(AttachError::MissingOrigin);
    }
    Ok(parse_http(&src)?.origin())
}

fn parse_http(text: &str) -> Result<Url, AttachError> {
    let url = Url::new(text).map_err(|_| invalid(text, "not an absolute URL"))?;
    match url.protocol().as_str() {
        "https:" | "http:" => Ok(url),
        _ => Err(invalid(
            text,
            "only http: and https: embeds have an origin to trust",
        )),
    }
}

fn invalid(text: &str, why: &str) -> AttachError {
    // push_str rather than `[..].concat()`, whose overflow check brings its own panic message.
    let mut message = String::from("\"");
    for part in [text, "\": ", why] {
        message.push_str(part);
    }
    AttachError::InvalidOrigin(message)
}

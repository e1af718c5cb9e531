//! Reading requests: the JSON body, the query string and path parameters, each failing
//! with an [`ApiError`] (so with the API's JSON error shape) instead of axum's plain-text
//! rejections.
//!
//! A body that is not JSON is a `malformed_json` error naming the line and column; JSON of
//! the wrong shape is an `invalid_body` error naming the field (`transfers[1].amount`) as
//! well as the line and column. Messages never carry Rust type names: serde's "expected
//! struct TransferInput" is rewritten to "expected a JSON object".

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use crate::error::ApiError;

/// A JSON request body, deserialized into `T`.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        check_content_type(request.headers())?;
        let limit = request
            .extensions()
            .get::<crate::BodyLimit>()
            .map_or(crate::BODY_LIMIT_BYTES, |crate::BodyLimit(limit)| *limit);
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            let too_large = rejection.status() == StatusCode::PAYLOAD_TOO_LARGE;
            let message = if too_large {
                crate::too_large_message(limit)
            } else {
                "the request body could not be read".to_owned()
            };
            ApiError::BodyUnreadable { too_large, message }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Refuse a body declared as something other than JSON. A body with no content type is
/// read as JSON.
pub(crate) fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let is_json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType { content_type: text.to_owned() })
    }
}

/// Parse a JSON document into `T`, reporting errors as the API does.
/// A UTF-8 byte-order mark at the start (which some Windows tools write) is skipped.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| json_error(error, bytes))?;
    deserializer.end().map_err(|error| malformed(&error))?;
    Ok(value)
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>, bytes: &[u8]) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        // serde_json reports a number or a list where a named value (an enum such as
        // `nation`) belongs as "expected value", a syntax error; but when the document is
        // JSON, it is the field's value that is wrong.
        Category::Syntax if field_path(&path, "").is_some() && is_json(bytes) => {
            let field = field_path(&path, "");
            let message = format!(
                "{}: this field takes one of its documented values, written as a string {}",
                field.as_deref().unwrap_or_default(),
                position(&inner)
            );
            ApiError::InvalidBody { message, field }
        }
        Category::Syntax | Category::Eof | Category::Io => malformed(&inner),
        Category::Data => {
            let problem = problem_text(&inner);
            let field = field_path(&path, &problem);
            let message = match &field {
                Some(field) => format!("{field}: {problem} {}", position(&inner)),
                None => format!("{problem} {}", position(&inner)),
            };
            ApiError::InvalidBody { message, field }
        }
    }
}

/// Whether `bytes` is one JSON document, whatever its shape.
fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::MalformedJson {
        message: format!("the body is not valid JSON: {} {}", problem_text(error), position(error)),
    }
}

fn position(error: &serde_json::Error) -> String {
    format!("(line {}, column {})", error.line(), error.column())
}

/// serde_json's message without its trailing " at line L column C", without Rust
/// type names, and with any value it repeats cut short.
fn problem_text(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    without_type_names(&shorten_echoed_value(full.strip_suffix(&suffix).unwrap_or(&full)))
}

/// serde repeats the bad value in its messages (`invalid type: string "…", expected …`,
/// ``unknown variant `…` ``). Cut a value longer than `onebudget_core`'s
/// `field::QUOTED_CHARACTERS` to its start, an ellipsis and its length, as
/// `FieldError` does, so that no message carries a whole huge value back.
fn shorten_echoed_value(message: &str) -> String {
    use onebudget_core::field::QUOTED_CHARACTERS;
    let Some(open) = message.find(['"', '`']) else {
        return message.to_owned();
    };
    let delimiter = message.get(open..).and_then(|rest| rest.chars().next()).unwrap_or('"');
    // The value ends where serde's "…, expected …" begins; failing that, at the last
    // delimiter.
    let close = message
        .rfind(&format!("{delimiter}, expected"))
        .or_else(|| message.rfind(delimiter))
        .filter(|close| *close > open);
    let Some(close) = close else {
        return message.to_owned();
    };
    let (Some(before), Some(inner), Some(after)) =
        (message.get(..=open), message.get(open + 1..close), message.get(close..))
    else {
        return message.to_owned();
    };
    let characters = inner.chars().count();
    if characters <= QUOTED_CHARACTERS {
        return message.to_owned();
    }
    let start: String = inner.chars().take(QUOTED_CHARACTERS).collect();
    let (closing, rest) = after.split_at(delimiter.len_utf8());
    format!("{before}{start}…{closing} ({characters} characters){rest}")
}

/// The path to the field at fault: serde_path_to_error's `transfers[1].amount`, with the
/// missing field appended for "missing field `x`" (whose path is the enclosing object).
/// `None` for the document as a whole.
fn field_path(path: &str, problem: &str) -> Option<String> {
    let parent = if path == "." || path.is_empty() { None } else { Some(path) };
    let missing = problem
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    match (parent, missing) {
        (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
        (None, Some(name)) => Some(name.to_owned()),
        (Some(parent), None) => Some(parent.to_owned()),
        (None, None) => None,
    }
}

/// The kinds serde's derive names in "expected …" messages, longest first, and what to
/// say instead of "KIND RustTypeName".
const TYPE_KINDS: [(&str, &str); 8] = [
    ("internally tagged enum ", "a JSON object with a \"type\" field"),
    ("adjacently tagged enum ", "a JSON object with a \"type\" field"),
    ("untagged enum ", "one of the documented shapes"),
    ("newtype struct ", "a JSON value"),
    ("tuple struct ", "a JSON array"),
    ("unit struct ", "null"),
    ("struct ", "a JSON object"),
    ("enum ", "one of the documented values"),
];

/// Rewrite "expected struct TransferInput" as "expected a JSON object", and serde's
/// "map" and "sequence" as JSON's "object" and "array".
fn without_type_names(message: &str) -> String {
    const EXPECTED: &str = "expected ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(EXPECTED) {
        let Some((before, after)) = rest.split_at_checked(at + EXPECTED.len()) else {
            break;
        };
        out.push_str(before);
        rest = after;
        for (kind, replacement) in TYPE_KINDS {
            let Some(name_and_rest) = rest.strip_prefix(kind) else {
                continue;
            };
            let name_length = name_and_rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(name_and_rest.len());
            if name_length > 0 {
                out.push_str(replacement);
                rest = name_and_rest.get(name_length..).unwrap_or_default();
            }
            break;
        }
    }
    out.push_str(rest);
    for (serde_word, json_word) in JSON_WORDS {
        out = out.replace(serde_word, json_word);
    }
    out
}

/// serde's data-model words for JSON's, in "invalid type: map, expected a sequence", and
/// plain words for Rust's number types, in "invalid value: integer `-1`, expected u32".
const JSON_WORDS: [(&str, &str); 18] = [
    ("invalid type: map,", "invalid type: object,"),
    ("invalid type: sequence,", "invalid type: array,"),
    ("expected a sequence", "expected a JSON array"),
    ("expected a map", "expected a JSON object"),
    ("expected u8", "expected a whole number from 0 to 255"),
    ("expected u16", "expected a whole number from 0 to 65535"),
    ("expected u32", "expected a whole number from 0 to 4294967295"),
    ("expected u64", "expected a whole number, 0 or more"),
    ("expected u128", "expected a whole number, 0 or more"),
    ("expected usize", "expected a whole number, 0 or more"),
    ("expected i8", "expected a whole number from -128 to 127"),
    ("expected i16", "expected a whole number from -32768 to 32767"),
    ("expected i32", "expected a whole number"),
    ("expected i64", "expected a whole number"),
    ("expected isize", "expected a whole number"),
    ("expected f32", "expected a number"),
    ("expected f64", "expected a number"),
    ("expected char", "expected a single character"),
];

/// A query string deserialized into `T`.
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryParams(value))
            .map_err(|rejection| ApiError::InvalidQuery {
                message: without_type_names(&shorten_echoed_value(&rejection.body_text())),
            })
    }
}

/// Path parameters deserialized into `T`.
#[derive(Debug, Clone)]
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParams(value))
            .map_err(|rejection| ApiError::InvalidPath {
                message: without_type_names(&shorten_echoed_value(&rejection.body_text())),
            })
    }
}

/// A page's query string deserialized into `T`; one that cannot be read is the page's
/// "problem with the web address" (400) page, not the API's JSON.
#[derive(Debug, Clone)]
pub struct PageQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for PageQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = crate::pages::PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let QueryParams(value) = QueryParams::<T>::from_request_parts(parts, state).await?;
        Ok(PageQuery(value))
    }
}

/// A page's path parameters deserialized into `T`; one that cannot be read is the page's
/// 400 page.
#[derive(Debug, Clone)]
pub struct PagePath<T>(pub T);

impl<S, T> FromRequestParts<S> for PagePath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = crate::pages::PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PathParams(value) = PathParams::<T>::from_request_parts(parts, state).await?;
        Ok(PagePath(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onebudget_core::ledger::{OpenRecordInput, TransferInput};

    fn parts(
        result: Result<impl std::fmt::Debug, ApiError>,
    ) -> (&'static str, String, Option<String>) {
        let error = result.expect_err("should fail");
        let (_, code, message, field) = error.parts();
        (code, message, field)
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let (code, message, field) =
            parts(parse_json::<TransferInput>(b"{\n  \"from\": \"A\",,\n}"));
        assert_eq!(code, "malformed_json");
        assert!(message.contains("(line 2, column"), "{message}");
        assert_eq!(field, None);
        let (code, message, _) = parts(parse_json::<TransferInput>(b"{\"from\": \"A\""));
        assert_eq!(code, "malformed_json");
        assert!(message.contains("line 1"), "{message}");
        let (code, _, _) = parts(parse_json::<Vec<OpenRecordInput>>(b"[] trailing"));
        assert_eq!(code, "malformed_json");
    }

    #[test]
    fn wrong_shapes_name_the_field_and_never_a_rust_type() {
        let (code, message, field) = parts(parse_json::<TransferInput>(b"\"a transfer\""));
        assert_eq!(code, "invalid_body");
        assert_eq!(field, None);
        assert!(message.contains("expected a JSON object"), "{message}");
        assert!(!message.contains("TransferInput"), "{message}");

        let (_, message, field) = parts(parse_json::<TransferInput>(b"{\"amount\": 12.5}"));
        assert_eq!(field.as_deref(), Some("amount"));
        assert!(message.starts_with("amount: invalid type"), "{message}");

        let (_, message, field) = parts(parse_json::<TransferInput>(b"{\"from\": \"A\"}"));
        assert_eq!(field.as_deref(), Some("idempotency_key"), "{message}");

        let (_, message, field) =
            parts(parse_json::<Vec<OpenRecordInput>>(b"[{\"type\": \"account\"}, 5]"));
        assert_eq!(field.as_deref(), Some("[0].code"), "{message}");

        let (_, message, _) = parts(parse_json::<Vec<OpenRecordInput>>(b"[5]"));
        assert!(!message.contains("OpenRecordInput"), "{message}");
        assert!(message.contains("\"type\" field"), "{message}");
    }

    #[test]
    fn a_huge_value_is_never_repeated_whole() {
        let memo = "m".repeat(1_000_000);
        let message = format!("invalid type: string \"{memo}\", expected a number");
        assert_eq!(
            shorten_echoed_value(&message),
            format!(
                "invalid type: string \"{}…\" (1000000 characters), expected a number",
                "m".repeat(100)
            )
        );
        let body = format!("[{{\"type\": \"{memo}\"}}]");
        let (_, message, _) = parts(parse_json::<Vec<OpenRecordInput>>(body.as_bytes()));
        assert!(message.len() < 600, "{message}");
        assert!(message.contains("(1000000 characters)"), "{message}");
        assert_eq!(shorten_echoed_value("unknown field `x`"), "unknown field `x`");
    }

    #[test]
    fn a_wrong_kind_of_value_names_its_field() {
        use onebudget_core::assessment::CaseInput;
        let (code, message, field) = parts(parse_json::<CaseInput>(b"{\"nation\": 5}"));
        assert_eq!((code, field.as_deref()), ("invalid_body", Some("nation")), "{message}");
        let (code, _, _) = parts(parse_json::<CaseInput>(b"{\"nation\": 5"));
        assert_eq!(code, "malformed_json");
        let case = br#"{"nation": "england", "date": "2025-06-01", "setting": "care_home",
            "person": {"age_years": -1}}"#;
        let (_, message, field) = parts(parse_json::<CaseInput>(case));
        assert_eq!(field.as_deref(), Some("person.age_years"), "{message}");
        assert!(!message.contains("u32") && !message.contains("u8"), "{message}");
        assert!(message.contains("whole number"), "{message}");
    }

    #[test]
    fn a_byte_order_mark_before_the_json_is_skipped() {
        let body = b"\xEF\xBB\xBF[]";
        assert!(parse_json::<Vec<OpenRecordInput>>(body).is_ok());
    }

    #[test]
    fn type_names_are_rewritten_only_after_expected() {
        assert_eq!(
            without_type_names("invalid type: integer `1`, expected struct Foo_Bar1 at x"),
            "invalid type: integer `1`, expected a JSON object at x"
        );
        assert_eq!(without_type_names("a struct Foo"), "a struct Foo");
        assert_eq!(without_type_names("expected a string"), "expected a string");
        assert_eq!(without_type_names("expected "), "expected ");
        assert_eq!(
            without_type_names("invalid type: map, expected a sequence"),
            "invalid type: object, expected a JSON array"
        );
    }

    #[test]
    fn content_types() {
        let mut headers = HeaderMap::new();
        assert!(check_content_type(&headers).is_ok());
        headers.insert(CONTENT_TYPE, "application/json; charset=utf-8".parse().unwrap());
        assert!(check_content_type(&headers).is_ok());
        headers.insert(CONTENT_TYPE, "application/merge-patch+json".parse().unwrap());
        assert!(check_content_type(&headers).is_ok());
        headers.insert(CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        assert!(check_content_type(&headers).is_err());
    }
}

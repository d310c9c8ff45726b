//! The input schema the worker publishes in its OpenAPI spec.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(components(schemas(documents::Action, documents::FieldError, documents::Manifest)))]
struct Spec;

#[test]
fn the_action_schema_and_its_parts_appear_in_an_openapi_spec() {
    let spec = serde_json::to_value(Spec::openapi()).unwrap();
    let schemas = &spec["components"]["schemas"];
    for name in [
        "Action",
        "Provider",
        "Company",
        "Trainee",
        "Signatory",
        "Phases",
        "Modality",
        "FieldError",
        "Manifest",
        "KeyFacts",
        "ManifestFile",
        "DocumentKind",
    ] {
        assert!(
            schemas.get(name).is_some(),
            "{name} missing from {schemas:#}"
        );
    }
    let action = &schemas["Action"];
    let required: Vec<&str> = action["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "reference",
        "provider",
        "company",
        "trainee",
        "hours",
        "phases",
        "price_ht",
    ] {
        assert!(
            required.contains(&field),
            "{field} not required: {action:#}"
        );
    }
    assert_eq!(
        action["properties"]["start_date"]["format"], "date",
        "{action:#}"
    );
    assert_eq!(action["properties"]["hours"]["example"], 24, "{action:#}");
}

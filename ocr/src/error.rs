//! Errors for input that cannot be checked at all.

/// The input is not a usable image (anything about the document's content is a `Verdict`).
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {bytes} bytes, more than the {max} allowed")]
    TooLarge { bytes: usize, max: usize },
    #[error("the image is {width}×{height} pixels, more than the {max_pixels} allowed")]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error("the file is not a JPEG, PNG, WebP or TIFF image")]
    NotAnImage,
    #[error("the image cannot be decoded (truncated or corrupt): {0}")]
    Corrupt(String),
    #[error("the OCR engine could not start: {0}")]
    Engine(String),
}

impl OcrError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_file",
            Self::TooLarge { .. } => "file_too_large",
            Self::TooManyPixels { .. } => "image_too_large",
            Self::NotAnImage => "not_an_image",
            Self::Corrupt(_) => "corrupt_image",
            Self::Engine(_) => "ocr_engine_unavailable",
        }
    }

    /// Message for the person who sent the file.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Empty => "Le fichier envoyé est vide.".to_owned(),
            Self::TooLarge { max, .. } => format!(
                "Le fichier est trop volumineux (maximum {} Mo) : envoyez une photo plus légère.",
                max / (1024 * 1024)
            ),
            Self::TooManyPixels { .. } => {
                "L'image est trop grande : envoyez une photo de taille normale.".to_owned()
            }
            Self::NotAnImage => {
                "Le fichier n'est pas une image (JPEG, PNG, WebP ou TIFF) : envoyez une photo du document."
                    .to_owned()
            }
            Self::Corrupt(_) => {
                "L'image est incomplète ou endommagée : envoyez-la à nouveau.".to_owned()
            }
            Self::Engine(_) => {
                "La vérification est momentanément indisponible : réessayez plus tard.".to_owned()
            }
        }
    }

    /// True when trying again later may succeed (the input itself is fine).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Engine(_))
    }

    /// Process exit code for the CLI: 3, unusable input.
    pub fn exit_code(&self) -> i32 {
        3
    }
}

//! What `csnas linear-eval` reports, as text, JSON or CSV.
//!
//! Why a file of its own: the report's three renderings are one schema
//! (README, "Export formats"), kept apart from the evaluation itself.

/// What `linear-eval` reports (README, "Export formats").
pub struct Summary {
    /// Where the encoder came from (a model file, a trained or random genotype).
    pub encoder: String,
    /// The data source as given.
    pub data: String,
    pub train_images: usize,
    pub test_images: usize,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// The linear classifier's last epoch's mean training loss.
    pub final_loss: f32,
    pub seconds: f64,
}

impl Summary {
    /// The text report, or its JSON or CSV export.
    pub fn render(&self, export: &super::export::ExportArgs) -> String {
        use super::export::{csv, json_text, number};
        if export.json {
            return json_text(&serde_json::json!({
                "encoder": self.encoder,
                "data": self.data,
                "train_images": self.train_images,
                "test_images": self.test_images,
                "train_accuracy": number(self.train_accuracy),
                "test_accuracy": number(self.test_accuracy),
                "final_loss": number(f64::from(self.final_loss)),
                "seconds": number(self.seconds),
            }));
        }
        if export.csv {
            let header = [
                "encoder",
                "data",
                "train_images",
                "test_images",
                "train_accuracy",
                "test_accuracy",
                "final_loss",
                "seconds",
            ];
            let row = vec![
                self.encoder.clone(),
                self.data.clone(),
                self.train_images.to_string(),
                self.test_images.to_string(),
                self.train_accuracy.to_string(),
                self.test_accuracy.to_string(),
                self.final_loss.to_string(),
                self.seconds.to_string(),
            ];
            return csv(&header, &[row]);
        }
        format!(
            "encoder: {}\ndata: {} ({} train, {} test)\ntrain accuracy: {:.4}\n\
             test accuracy: {:.4}\nseconds: {:.1}\n",
            self.encoder,
            self.data,
            self.train_images,
            self.test_images,
            self.train_accuracy,
            self.test_accuracy,
            self.seconds
        )
    }
}

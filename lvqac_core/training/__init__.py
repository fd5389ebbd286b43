"""Training: image-folder batches derived from (seed, step, rank), the RD trainer, exact resume, DDP."""
from .data import ImageCropBatches, list_images, make_loader
from .trainer import TrainConfig, Trainer, load_init_weights, rd_loss, temperature_at

__all__ = ["ImageCropBatches", "list_images", "make_loader", "TrainConfig", "Trainer", "load_init_weights",
           "rd_loss", "temperature_at"]

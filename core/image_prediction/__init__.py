"""Image prediction (the image-prediction Space): street-scene segmentation twins, CamVid data, scores."""

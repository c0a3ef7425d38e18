"""The Hugging Face Hub: the client seam (token, retries, the one commit path), publish and republish."""

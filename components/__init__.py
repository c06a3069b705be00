"""Streamlit widgets built on the engine. They cache and draw; they never do the math."""

"""The thin shell: Litestar routes, the WebSocket endpoint, pages and exports."""

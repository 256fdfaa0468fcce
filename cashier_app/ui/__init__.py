"""The Qt widgets of the cashier app. Nothing here talks to the network or computes money rules."""

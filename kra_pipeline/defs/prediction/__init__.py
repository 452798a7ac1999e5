"""Prediction: the trained race model, each race day's predictions, and the sensor that
predicts the days ahead once their entry sheets are in."""

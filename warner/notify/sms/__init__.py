"""SMS: config, the GSM-7 text of a page, and the HTTP-gateway and Twilio channels."""

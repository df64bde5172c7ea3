"""Mail: HR's e-mail texts, the outbox and its worker, the notices booking sends, and reminders."""

"""the API key's hash indexed and unique, as the model always said

Revision ID: 0008_key_hash_index
Revises: 0007_generation
Create Date: 2026-12-04 18:10:00

``NodeCredential.key_hash`` is declared ``index=True, unique=True``, but no migration
made the index: every API request's key lookup scanned ``node_credentials``, and two
keys with one hash would not have been refused. Found by comparing the migrated schema
with the models (``tests/integration/test_schema.py``).
"""

from __future__ import annotations

from alembic import op

revision = "0008_key_hash_index"
down_revision = "0007_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_node_credentials_key_hash", "node_credentials", ["key_hash"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ix_node_credentials_key_hash", table_name="node_credentials")

import { Migration } from '@mikro-orm/migrations';

export class Migration20261125181245 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "documents" ("id" uuid not null, "owner_id" uuid not null, "organization_id" uuid null, "visibility" varchar(16) not null default 'private', "title" varchar(300) not null, "mime_type" varchar(100) not null, "size_bytes" int not null, "status" varchar(16) not null default 'processing', "error" varchar(500) null, "chunk_count" int not null default 0, "text" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, constraint "documents_pkey" primary key ("id"));`);
    this.addSql(`create index "documents_organization_index" on "documents" ("organization_id");`);
    this.addSql(`create index "documents_owner_index" on "documents" ("owner_id", "created_at");`);

    this.addSql(`create table "document_chunks" ("id" uuid not null, "document_id" uuid not null, "position" int not null, "heading" varchar(300) null, "text" text not null, constraint "document_chunks_pkey" primary key ("id"));`);
    this.addSql(`alter table "document_chunks" add constraint "document_chunks_position_unique" unique ("document_id", "position");`);

    this.addSql(`alter table "documents" add constraint "documents_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "documents" add constraint "documents_organization_id_foreign" foreign key ("organization_id") references "organizations" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "document_chunks" add constraint "document_chunks_document_id_foreign" foreign key ("document_id") references "documents" ("id") on update cascade on delete cascade;`);


    this.addSql(`alter table "search_entries" add column "document_id" uuid null, add column "organization_id" uuid null;`);
    this.addSql(`create index "search_entries_document_index" on "search_entries" ("document_id");`);
    this.addSql(`create index "search_entries_organization_index" on "search_entries" ("organization_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "document_chunks" drop constraint "document_chunks_document_id_foreign";`);

    this.addSql(`drop table if exists "documents" cascade;`);

    this.addSql(`drop table if exists "document_chunks" cascade;`);

    this.addSql(`drop index "search_entries_document_index";`);
    this.addSql(`drop index "search_entries_organization_index";`);
    this.addSql(`alter table "search_entries" drop column "document_id", drop column "organization_id";`);

  }

}

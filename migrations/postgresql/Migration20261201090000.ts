import { Migration } from '@mikro-orm/migrations';

/**
 * Live end reasons became a closed set (LiveEndReason): a reason a client made up before is
 * what the client said, `client`. Nothing else changes.
 */
export class Migration20261201090000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`update live_sessions set end_reason = 'client' where end_reason is not null and end_reason not in ('client', 'disconnected', 'idle', 'max_duration', 'quota_exceeded');`);
  }

}

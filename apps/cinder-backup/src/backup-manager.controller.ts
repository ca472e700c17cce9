import { Controller, Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { BackupRpc } from '@cinderflow/contracts';
import { type DeadLetter, RpcDeadLetter, RpcHandler } from '@cinderflow/messaging';
import { currentContext } from '@cinderflow/request-context';
import { CreateBackupHandler } from './flows/create-backup/create-backup.handler';
import { settleDeadBackupMessage } from './flows/dead-letters';
import { DeleteBackupHandler } from './flows/delete-backup/delete-backup.handler';
import { ImportBackupHandler } from './flows/import-backup/import-backup.handler';
import { RestoreBackupHandler } from './flows/restore-backup/restore-backup.handler';
import { InitHostCleanup } from './init-host/init-host.cleanup';

/** cinder-backup's RPC surface; each handler lives with its flow. */
@Controller()
export class BackupManagerController implements OnApplicationBootstrap {
  constructor(
    private readonly create: CreateBackupHandler,
    private readonly restore: RestoreBackupHandler,
    private readonly remove: DeleteBackupHandler,
    private readonly importer: ImportBackupHandler,
    private readonly cleanup: InitHostCleanup,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  /** Before the transport consumes: settle what a previous run left unfinished. */
  onApplicationBootstrap(): Promise<void> {
    return this.cleanup.run();
  }

  @RpcHandler(BackupRpc.createBackup)
  onCreateBackup(@Payload() m: { backup_id: string }): Promise<void> {
    return this.create.handle(m.backup_id);
  }

  @RpcHandler(BackupRpc.restoreBackup)
  onRestoreBackup(@Payload() m: { backup_id: string; volume_id: string; volume_is_new: boolean }) {
    return this.restore.handle(m.backup_id, m.volume_id, m.volume_is_new);
  }

  @RpcHandler(BackupRpc.deleteBackup)
  onDeleteBackup(@Payload() m: { backup_id: string }): Promise<void> {
    return this.remove.handle(m.backup_id);
  }

  @RpcHandler(BackupRpc.importRecord)
  onImportRecord(
    @Payload() m: { backup_id: string; backup_service: string; backup_url: string },
  ): Promise<void> {
    return this.importer.handle(m.backup_id, m.backup_service, m.backup_url);
  }

  @RpcDeadLetter(BackupRpc.importRecord)
  onImportRecordDead(@Payload() letter: DeadLetter): Promise<void> {
    return this.settle('import_record', letter);
  }

  @RpcDeadLetter(BackupRpc.createBackup)
  onCreateBackupDead(@Payload() letter: DeadLetter): Promise<void> {
    return this.settle('create_backup', letter);
  }

  @RpcDeadLetter(BackupRpc.restoreBackup)
  onRestoreBackupDead(@Payload() letter: DeadLetter): Promise<void> {
    return this.settle('restore_backup', letter);
  }

  @RpcDeadLetter(BackupRpc.deleteBackup)
  onDeleteBackupDead(@Payload() letter: DeadLetter): Promise<void> {
    return this.settle('delete_backup', letter);
  }

  private settle(
    method: 'create_backup' | 'restore_backup' | 'delete_backup' | 'import_record',
    letter: DeadLetter,
  ): Promise<void> {
    const requestId = currentContext()?.requestId ?? '-';
    return settleDeadBackupMessage(
      this.dataSource,
      method,
      letter.payload,
      letter.reason,
      requestId,
    );
  }
}

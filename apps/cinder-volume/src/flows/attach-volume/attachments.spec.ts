import { volumeAttachMachine, volumeMachine } from '@cinderflow/status-machines';
import { volumeEventFor } from './attachments';

// Cinder's _get_statuses_from_attachments: the first live attach status in alphabetical order
// (attached > attaching > reserved), `detached` when none is left; error ones don't count.
describe("a volume's statuses from the attachments left after a detach", () => {
  it.each([
    [[], 'available', 'detached'],
    [['reserved'], 'reserved', 'reserved'],
    [['reserved', 'attaching'], 'attaching', 'attaching'],
    [['attaching', 'attached', 'reserved'], 'in-use', 'attached'],
    // cinderflow's attachment `detaching` is one still attached (os-roll_detaching returns it)
    [['detaching'], 'in-use', 'attached'],
    [['error_attaching'], 'available', 'detached'],
    [['error_detaching', 'reserved'], 'reserved', 'reserved'],
  ])('%j → %s, attach status %s', (left, status, attachStatus) => {
    const { event, attachEvent } = volumeEventFor(left.map((s) => ({ attach_status: s })));
    expect(volumeMachine.next('in-use', event)).toBe(status);
    for (const before of volumeAttachMachine.statuses) {
      expect(volumeAttachMachine.next(before, attachEvent)).toBe(attachStatus);
    }
  });
});

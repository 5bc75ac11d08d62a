// queues.js - the case queues each role works from, as data: which
// permission shows a queue and which /api/cases query fills it. The
// server limits every list to what the asker may see, so a queue only
// narrows by status (and, for departments, by their own department).

const OPEN = 'reported,filed,dispatched,acknowledged,handling,fed_back,verified';

export function queues(ctx) {
  const q = [];
  if (ctx.can('cases.dispatch')) {
    q.push({ id: 'mine', label: 'home_queue', query: { status: 'reported,filed,verified' } });
  }
  if (ctx.can('cases.handle')) {
    q.push({ id: 'dept', label: 'home_queue',
      query: { department: ctx.department, status: 'dispatched,acknowledged,handling' } });
    q.push({ id: 'whistles', label: 'home_whistles', query: { whistle: 'pending' } });
  }
  if (ctx.can('cases.verify')) q.push({ id: 'verify', label: 'home_verify', query: { status: 'fed_back' } });
  if (ctx.can('cases.dispatch') || ctx.can('cases.handle') || ctx.can('cases.verify')) {
    q.push({ id: 'overdue', label: 'home_overdue', query: { overdue: 'true', status: OPEN } });
  }
  return q;
}

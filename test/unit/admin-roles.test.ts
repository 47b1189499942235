import assert from 'node:assert/strict';
import { can, scopeOf, type Principal } from '../../admin/roles.js';

const province = '/1/';
const district = '/1/5/';
const commune = '/1/5/9/';
const otherDistrict = '/1/6/';

const superadmin: Principal = { kind: 'person', id: 'it@tinh.gov.vn', grants: [{ role: 'superadmin', agencyPath: null }] };
const districtAdmin: Principal = { kind: 'person', id: 'qt@huyen.gov.vn', grants: [{ role: 'agency_admin', agencyPath: district }] };
const auditor: Principal = { kind: 'person', id: 'kt@tinh.gov.vn', grants: [{ role: 'auditor', agencyPath: null }] };
const user: Principal = { kind: 'person', id: 'cv@huyen.gov.vn', grants: [{ role: 'user', agencyPath: district }] };
const token: Principal = { kind: 'token', id: 'token:7', grants: [{ role: 'agency_admin', agencyPath: district }], scopes: ['mail.send', 'mailbox.read'] };

describe('admin/roles — the one authorisation rule', () => {
  it('lets a superadmin do everything everywhere', () => {
    assert.ok(can(superadmin, 'domain.write', null));
    assert.ok(can(superadmin, 'mailbox.write', commune));
  });

  it('keeps an agency admin inside its subtree', () => {
    assert.ok(can(districtAdmin, 'mailbox.write', district));
    assert.ok(can(districtAdmin, 'mailbox.write', commune));
    assert.ok(!can(districtAdmin, 'mailbox.write', otherDistrict));
    assert.ok(!can(districtAdmin, 'mailbox.read', province));
    assert.ok(!can(districtAdmin, 'domain.write', null));
    assert.ok(!can(districtAdmin, 'audit.read', district));
    assert.ok(!can(districtAdmin, 'cert.approve', commune));
    // A sibling whose id merely starts with the same digits is outside: /1/50/ is not under /1/5/.
    assert.ok(!can(districtAdmin, 'mailbox.read', '/1/50/'));
  });

  it('lets an auditor read but never write', () => {
    assert.ok(can(auditor, 'audit.read', null));
    assert.ok(can(auditor, 'report.read', commune));
    assert.ok(!can(auditor, 'mailbox.write', commune));
    assert.ok(!can(auditor, 'agency.write', commune));
  });

  it('gives a plain user no admin action', () => {
    for (const a of ['agency.read', 'mailbox.read', 'report.read'] as const) assert.ok(!can(user, a, district));
  });

  it('limits a token to its scopes and its agency', () => {
    assert.ok(can(token, 'mail.send', commune));
    assert.ok(!can(token, 'mailbox.write', commune), 'the role allows it but the token was not issued for it');
    assert.ok(!can(token, 'mail.send', otherDistrict));
    assert.deepEqual(scopeOf(token, 'mailbox.write'), []);
    assert.deepEqual(scopeOf(districtAdmin, 'mailbox.read'), [district]);
  });
});
